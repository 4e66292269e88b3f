// Package controllertest helps controller tests run against the real
// in-process server: it starts chosen controllers, plays the kubelet
// for pods (there are no nodes in these tests), and polls for state.
package controllertest

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller"
)

// Constructor builds a controller, as listed in the controller-manager's
// registry.
type Constructor func(context.Context, controller.Context) (controller.Runner, error)

// StartControllers builds the given controllers on one shared informer
// factory, as the controller-manager does, and runs them until the test
// ends. (It takes constructors rather than registry names so that a
// controller's tests build without every other controller.)
func StartControllers(t testing.TB, s *testserver.Server, constructors ...Constructor) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	meta, err := metadata.NewForConfig(s.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	cc := controller.Context{
		Client: s.Client, Metadata: meta, RESTConfig: s.RESTConfig,
		Informers: informers.NewSharedInformerFactory(s.Client, 0),
		Logger:    slog.Default(),
	}
	var runners []controller.Runner
	for _, newController := range constructors {
		r, err := newController(ctx, cc)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		runners = append(runners, r)
	}
	cc.Informers.Start(ctx.Done())
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Add(1)
		go func() { defer wg.Done(); r.Run(ctx, 2) }()
	}
	t.Cleanup(func() { cancel(); wg.Wait(); cc.Informers.Shutdown() })
}

// MarkReady does what a kubelet does for a started pod: phase Running
// and the Ready condition True since now.
func MarkReady(ctx context.Context, c kubernetes.Interface, pod *corev1.Pod) error {
	pod = pod.DeepCopy()
	now := metav1.Now()
	pod.Status.Phase = corev1.PodRunning
	pod.Status.StartTime = &now
	pod.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}
	_, err := c.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	return err
}

// Kubelet marks every pod of one namespace ready shortly after it
// appears, unless its filter says no. Stop it with the context.
type Kubelet struct {
	mu     sync.Mutex
	accept func(*corev1.Pod) bool
}

// RunKubelet starts a Kubelet for namespace until the test ends.
func RunKubelet(t testing.TB, c kubernetes.Interface, namespace string) *Kubelet {
	k := &Kubelet{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
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
				if p.DeletionTimestamp != nil || isReady(p) || !k.accepts(p) {
					continue
				}
				_ = MarkReady(ctx, c, p) // conflicts are retried on the next tick
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

func isReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Eventually polls cond every 50ms until it is true, failing the test
// with what after 30s.
func Eventually(t testing.TB, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, cond)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// CreateNamespace creates a namespace for a test.
func CreateNamespace(t testing.TB, c kubernetes.Interface, name string) {
	t.Helper()
	_, err := c.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}
