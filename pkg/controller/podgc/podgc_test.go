package podgc_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/controller/podgc"
)

// start runs the collector with a short period and quarantine (the
// defaults are 20s and 40s).
func start(t *testing.T, threshold int) (context.Context, kubernetes.Interface) {
	t.Helper()
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cc := controller.Context{Client: s.Client, RESTConfig: s.RESTConfig, Informers: informers.NewSharedInformerFactory(s.Client, 0)}
	cfg := podgc.DefaultConfig()
	cfg.TerminatedPodThreshold, cfg.Period, cfg.Quarantine = threshold, 100*time.Millisecond, 300*time.Millisecond
	c, err := podgc.NewWithConfig(cc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cc.Informers.Start(ctx.Done())
	go c.Run(ctx, 1)
	return ctx, s.Client
}

func pod(ctx context.Context, t *testing.T, c kubernetes.Interface, name, node string, phase corev1.PodPhase) {
	t.Helper()
	p, err := c.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Status.Phase = phase
	if _, err := c.CoreV1().Pods("default").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func gone(c kubernetes.Interface, name string) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		_, err := c.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	}
}

// TestTerminatedOverThreshold: the oldest terminated pods beyond the
// threshold go; running ones stay.
func TestTerminatedOverThreshold(t *testing.T) {
	ctx, c := start(t, 2)
	pod(ctx, t, c, "running", "", corev1.PodRunning)
	for i := 0; i < 4; i++ {
		pod(ctx, t, c, fmt.Sprintf("done-%d", i), "", corev1.PodSucceeded)
	}
	controllertest.Eventually(t, "oldest terminated pods deleted", func(ctx context.Context) (bool, error) {
		a, _ := gone(c, "done-0")(ctx)
		b, _ := gone(c, "done-1")(ctx)
		return a && b, nil
	})
	for _, name := range []string{"running", "done-2", "done-3"} {
		if _, err := c.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestOrphanedAndOutOfService: pods of a deleted node are deleted after
// the quarantine; a terminating pod on a NotReady out-of-service node is
// force-deleted; pods on a healthy node stay.
func TestOrphanedAndOutOfService(t *testing.T) {
	ctx, c := start(t, 0)
	for _, n := range []*corev1.Node{
		{ObjectMeta: metav1.ObjectMeta{Name: "doomed"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "fine"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "oos"}, Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: corev1.TaintNodeOutOfService, Value: "nodeshutdown", Effect: corev1.TaintEffectNoExecute}}}},
	} {
		if _, err := c.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pod(ctx, t, c, "orphan", "doomed", corev1.PodRunning)
	pod(ctx, t, c, "healthy", "fine", corev1.PodRunning)
	pod(ctx, t, c, "stuck", "oos", corev1.PodRunning)
	// Graceful delete: without a kubelet it would wait 30s.
	if err := c.CoreV1().Pods("default").Delete(ctx, "stuck", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.CoreV1().Nodes().Delete(ctx, "doomed", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "orphaned pod deleted", gone(c, "orphan"))
	controllertest.Eventually(t, "out-of-service terminating pod force-deleted", gone(c, "stuck"))
	if _, err := c.CoreV1().Pods("default").Get(ctx, "healthy", metav1.GetOptions{}); err != nil {
		t.Errorf("healthy: %v", err)
	}
}
