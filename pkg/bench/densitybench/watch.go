package densitybench

import (
	"context"
	"fmt"
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
// (client-go's RetryWatcher).
type podWatch struct {
	rw   *watchtools.RetryWatcher
	done chan struct{} // closed when the event loop ends
	err  error         // set before done is closed
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
	lw := &cache.ListWatch{WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
		opts.AllowWatchBookmarks = true
		return pods.Watch(ctx, opts)
	}}
	rw, err := watchtools.NewRetryWatcherWithContext(ctx, list.ResourceVersion, lw)
	if err != nil {
		return nil, fmt.Errorf("opening pod watch: %w", err)
	}
	w := &podWatch{rw: rw, done: make(chan struct{})}
	go w.loop(t)
	return w, nil
}

func (w *podWatch) loop(t *tracker) {
	defer close(w.done)
	for ev := range w.rw.ResultChan() {
		at := time.Now()
		switch ev.Type {
		case watch.Added, watch.Modified, watch.Deleted:
			pod, ok := ev.Object.(*corev1.Pod)
			if !ok {
				w.err = fmt.Errorf("pod watch: unexpected object %T", ev.Object)
				return
			}
			t.observe(pod, ev.Type == watch.Deleted, at)
		case watch.Error:
			// The RetryWatcher retries what can be retried; an error event
			// means it gave up (e.g. resourceVersion too old).
			w.err = fmt.Errorf("pod watch: %w", statusError(ev.Object))
			return
		}
	}
}

// stop ends the watch and waits for the event loop; it returns the error
// that ended the watch early, if any.
func (w *podWatch) stop() error {
	w.rw.Stop()
	<-w.done
	return w.err
}

func statusError(obj runtime.Object) error {
	if st, ok := obj.(*metav1.Status); ok {
		return apierrors.FromObject(st)
	}
	return fmt.Errorf("%v", obj)
}
