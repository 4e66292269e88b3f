package controller

import (
	"context"
	"errors"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// ErrWaiting, wrapped into a sync error, marks an expected wait rather
// than a failure (content still going away, dependents not yet deleted,
// a cache behind the server): the key is requeued with the queue's rate
// limit like any error, but not logged.
var ErrWaiting = errors.New("waiting")

// RunWorkers is the body of every controller's Run: it waits for the
// informer caches, then runs workers that pop keys off queue and call
// sync, until ctx ends; then it shuts the queue down. A sync error
// requeues the key with the queue's rate limit; success forgets it.
// name labels errors in the log.
func RunWorkers[K comparable](ctx context.Context, name string, queue workqueue.TypedRateLimitingInterface[K],
	synced []cache.InformerSynced, workers int, sync func(context.Context, K) error) {
	defer utilruntime.HandleCrash()
	defer queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return
	}
	StartWorkers(ctx, name, queue, workers, sync)
	<-ctx.Done()
}

// StartWorkers starts the workers of RunWorkers and returns at once; they
// stop when ctx ends. It is for a Run with more to do between the cache
// sync and the first key; that Run shuts the queue down.
func StartWorkers[K comparable](ctx context.Context, name string, queue workqueue.TypedRateLimitingInterface[K],
	workers int, sync func(context.Context, K) error) {
	worker := func(ctx context.Context) {
		for processNext(ctx, name, queue, sync) {
		}
	}
	for range workers {
		go wait.UntilWithContext(ctx, worker, time.Second)
	}
}

func processNext[K comparable](ctx context.Context, name string, queue workqueue.TypedRateLimitingInterface[K], sync func(context.Context, K) error) bool {
	key, quit := queue.Get()
	if quit {
		return false
	}
	defer queue.Done(key)
	err := sync(ctx, key)
	switch {
	case err == nil:
		queue.Forget(key)
	case errors.Is(err, ErrWaiting):
		queue.AddRateLimited(key)
	case apierrors.IsConflict(err):
		// An optimistic-concurrency conflict is expected (the object
		// changed since the informer saw it): retried, logged at debug
		// (-v 4) only, as upstream's controllers do.
		klog.FromContext(ctx).V(4).Info("sync conflicted, retrying", "controller", name, "key", key, "err", err)
		queue.AddRateLimited(key)
	case ctx.Err() != nil:
		// Shutting down: the request was cut short, not failed.
		queue.AddRateLimited(key)
	default:
		utilruntime.HandleErrorWithContext(ctx, err, "sync failed", "controller", name, "key", key)
		queue.AddRateLimited(key)
	}
	return true
}

// NewQueue returns a rate-limited queue of K with the default controller
// rate limiter (per-item exponential backoff plus an overall bucket).
func NewQueue[K comparable](name string) workqueue.TypedRateLimitingInterface[K] {
	return NewClockedQueue[K](name, nil)
}

// NewClockedQueue is NewQueue whose delays (AddAfter, backoff) run on clk
// (nil: the real clock): the queue of a time-driven controller, so that a
// test's fake clock also fires its requeues.
func NewClockedQueue[K comparable](name string, clk clock.WithTicker) workqueue.TypedRateLimitingInterface[K] {
	return workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[K](),
		workqueue.TypedRateLimitingQueueConfig[K]{Name: name, Clock: clk})
}
