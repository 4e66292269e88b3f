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
	"k8s.io/utils/clock"

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
	StartControllersOnClock(t, s, nil, constructors...)
}

// StartControllersOnClock is StartControllers with clk as the
// controllers' clock (controller.Context.Clock; nil: the real clock): a
// test of a time-driven controller passes a fake clock and steps it
// instead of waiting.
func StartControllersOnClock(t testing.TB, s *testserver.Server, clk clock.WithTicker, constructors ...Constructor) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	meta, err := metadata.NewForConfig(s.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	cc := controller.Context{
		Client: s.Client, Metadata: meta, RESTConfig: s.RESTConfig,
		Informers: informers.NewSharedInformerFactory(s.Client, 0),
		Logger:    slog.Default(), Clock: clk,
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

// Eventually polls cond every 50ms until it is true, failing the test
// with what after 30s (or at once if cond returns an error). It is the
// one way tests wait: to show that something did not happen, first wait
// for a later event that proves the controller has looked (an observed
// generation, a marker object handled), or step a fake clock; never
// sleep and then assert.
func Eventually(t testing.TB, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	EventuallyWithin(t, what, 30*time.Second, cond)
}

// EventuallyWithin is Eventually with another deadline than 30s.
func EventuallyWithin(t testing.TB, what string, timeout time.Duration, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, timeout, true, cond)
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
