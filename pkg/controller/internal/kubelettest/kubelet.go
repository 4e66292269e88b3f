package kubelettest

import (
	"context"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Kubelet plays the kubelet for every pod of one namespace: each new pod
// (Pending, not being deleted) is reported Running and Ready (Run) soon
// after it appears, unless the filter says no.
type Kubelet struct {
	mu     sync.Mutex
	accept func(*corev1.Pod) bool
}

// Start runs a Kubelet for namespace until the test ends.
func Start(t testing.TB, c kubernetes.Interface, namespace string) *Kubelet {
	k := &Kubelet{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond) // the kubelet's poll interval
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			pods, err := c.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
			if err != nil {
				continue
			}
			for i := range pods.Items {
				p := &pods.Items[i]
				if p.Status.Phase != corev1.PodPending || p.DeletionTimestamp != nil || !k.accepts(p) {
					continue
				}
				_ = Run(ctx, c, namespace, p.Name) // failures are retried on the next tick
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return k
}

// SetFilter makes the kubelet start only pods for which accept is true
// (nil: all).
func (k *Kubelet) SetFilter(accept func(*corev1.Pod) bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.accept = accept
}

func (k *Kubelet) accepts(p *corev1.Pod) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.accept == nil || k.accept(p)
}
