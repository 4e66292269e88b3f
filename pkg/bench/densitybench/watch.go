package densitybench

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// podWatch feeds every pod event of the namespace into a tracker. It
// starts from the resourceVersion of a list taken before any Deployment
// exists, so no pod can be missed, and resumes after dropped connections
// (client-go's RetryWatcher). When the server no longer has the events
// after the last resourceVersion (410 Expired: the watch fell further
// behind than the server's event history), it re-lists the namespace, as
// an informer would, and watches on from the list: pods that changed
// during the gap are observed at the re-list, later than they happened,
// so a re-list can only make latencies look worse.
type podWatch struct {
	pods    podsClient
	tracker *tracker

	mu      sync.Mutex
	rw      *watchtools.RetryWatcher
	stopped bool

	done chan struct{} // closed when the event loop ends
	err  error         // set before done is closed
}

// podsClient is the part of client-go's typed pods client a podWatch uses.
type podsClient interface {
	List(ctx context.Context, opts metav1.ListOptions) (*corev1.PodList, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

func startPodWatch(ctx context.Context, client kubernetes.Interface, ns string, t *tracker) (*podWatch, error) {
	pods := client.CoreV1().Pods(ns)
	list, err := pods.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing pods: %w", err)
	}
	if len(list.Items) > 0 {
		return nil, fmt.Errorf("namespace %s already has %d pods; the run needs a fresh namespace", ns, len(list.Items))
	}
	w := &podWatch{pods: pods, tracker: t, done: make(chan struct{})}
	if err := w.open(ctx, list.ResourceVersion); err != nil {
		return nil, err
	}
	go w.loop(ctx)
	return w, nil
}

// open starts a RetryWatcher from rv (stopped at once if stop came first).
func (w *podWatch) open(ctx context.Context, rv string) error {
	lw := &cache.ListWatch{WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
		opts.AllowWatchBookmarks = true
		return w.pods.Watch(ctx, opts)
	}}
	rw, err := watchtools.NewRetryWatcherWithContext(ctx, rv, lw)
	if err != nil {
		return fmt.Errorf("opening pod watch: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		rw.Stop()
	}
	w.rw = rw
	return nil
}

func (w *podWatch) loop(ctx context.Context) {
	defer close(w.done)
	for {
		expired, err := w.drain()
		if err != nil || !expired {
			w.err = err
			return
		}
		list, err := w.pods.List(ctx, metav1.ListOptions{})
		if err != nil {
			w.err = fmt.Errorf("pod watch: re-listing after 410: %w", err)
			return
		}
		at := time.Now()
		for i := range list.Items {
			w.tracker.observe(&list.Items[i], false, at)
		}
		w.tracker.relisted()
		if err := w.open(ctx, list.ResourceVersion); err != nil {
			w.err = err
			return
		}
	}
}

// drain feeds the current RetryWatcher's events to the tracker until it
// ends; expired says it ended with 410 (re-list and go on).
func (w *podWatch) drain() (expired bool, err error) {
	w.mu.Lock()
	rw := w.rw
	w.mu.Unlock()
	for ev := range rw.ResultChan() {
		at := time.Now()
		switch ev.Type {
		case watch.Added, watch.Modified, watch.Deleted:
			pod, ok := ev.Object.(*corev1.Pod)
			if !ok {
				return false, fmt.Errorf("pod watch: unexpected object %T", ev.Object)
			}
			w.tracker.observe(pod, ev.Type == watch.Deleted, at)
		case watch.Error:
			// The RetryWatcher retries what can be retried; an error event
			// means it gave up: on 410 we re-list, anything else ends the run.
			err := statusError(ev.Object)
			if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
				rw.Stop()
				w.mu.Lock()
				stopped := w.stopped
				w.mu.Unlock()
				return !stopped, nil
			}
			return false, fmt.Errorf("pod watch: %w", err)
		}
	}
	return false, nil
}

// stop ends the watch and waits for the event loop; it returns the error
// that ended the watch early, if any.
func (w *podWatch) stop() error {
	w.mu.Lock()
	w.stopped = true
	w.rw.Stop()
	w.mu.Unlock()
	<-w.done
	return w.err
}

func statusError(obj runtime.Object) error {
	if st, ok := obj.(*metav1.Status); ok {
		return apierrors.FromObject(st)
	}
	return fmt.Errorf("%v", obj)
}
