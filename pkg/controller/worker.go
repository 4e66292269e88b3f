package controller

import (
	"context"
	"time"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

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
	worker := func(ctx context.Context) {
		for processNext(ctx, name, queue, sync) {
		}
	}
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, worker, time.Second)
	}
	<-ctx.Done()
}

func processNext[K comparable](ctx context.Context, name string, queue workqueue.TypedRateLimitingInterface[K], sync func(context.Context, K) error) bool {
	key, quit := queue.Get()
	if quit {
		return false
	}
	defer queue.Done(key)
	if err := sync(ctx, key); err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "sync failed", "controller", name, "key", key)
		queue.AddRateLimited(key)
		return true
	}
	queue.Forget(key)
	return true
}

// NewQueue returns a rate-limited queue of K with the default controller
// rate limiter (per-item exponential backoff plus an overall bucket).
func NewQueue[K comparable](name string) workqueue.TypedRateLimitingInterface[K] {
	return workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[K](),
		workqueue.TypedRateLimitingQueueConfig[K]{Name: name})
}
