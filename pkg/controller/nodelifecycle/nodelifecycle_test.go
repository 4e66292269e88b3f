package nodelifecycle_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/controller/nodelifecycle"
	"github.com/tinykube/tinykube/pkg/node"
	"github.com/tinykube/tinykube/pkg/node/simulated"
)

func startAgent(t *testing.T, s *testserver.Server, first, count int) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	host := simulated.NewHost(clock.RealClock{})
	go host.Run(ctx)
	cfg := node.DefaultConfig()
	cfg.RESTConfig, cfg.Count, cfg.FirstIndex, cfg.NamePrefix = s.RESTConfig, count, first, "n-"
	cfg.NewRuntime = func(string) node.Runtime { return host.NewRuntime() }
	cfg.LeaseDuration, cfg.LeaseRenewInterval, cfg.PodCIDRWait = 2*time.Second, 500*time.Millisecond, 0
	cfg.ShutdownDelay = 100 * time.Millisecond
	a, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

func ready(n *corev1.Node) (corev1.ConditionStatus, string) {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status, c.Reason
		}
	}
	return "", ""
}

func hasTaint(n *corev1.Node, key string, effect corev1.TaintEffect) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == key && t.Effect == effect {
			return true
		}
	}
	return false
}

// TestUnreachableNode: a node whose agent stops goes Unknown, is tainted
// unreachable, its pods go not Ready and are evicted after their
// toleration; when the node comes back the taints go and the
// terminating pods are confirmed gone.
func TestUnreachableNode(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cc := controller.Context{Client: s.Client, Informers: informers.NewSharedInformerFactory(s.Client, 0)}
	cfg := nodelifecycle.DefaultConfig()
	cfg.GracePeriod = 2 * time.Second
	c, err := nodelifecycle.NewController(ctx, cc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cc.Informers.Start(ctx.Done())
	go c.Run(ctx, 2)

	startAgent(t, s, 0, 1) // n-0 stays up
	stop := startAgent(t, s, 1, 1)
	nodes, pods := s.Client.CoreV1().Nodes(), s.Client.CoreV1().Pods("default")
	controllertest.Eventually(t, "n-1 Ready", func(ctx context.Context) (bool, error) {
		n, err := nodes.Get(ctx, "n-1", metav1.GetOptions{})
		st, _ := ready(n)
		return err == nil && st == corev1.ConditionTrue, nil
	})
	mk := func(name string, tolerate *int64) {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{
			NodeName: "n-1", Containers: []corev1.Container{{Name: "app", Image: "nginx"}},
			Tolerations: []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists,
				Effect: corev1.TaintEffectNoExecute, TolerationSeconds: tolerate}},
		}}
		if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mk("short", ptr.To[int64](1))
	mk("forever", nil)
	controllertest.Eventually(t, "pods Running", func(ctx context.Context) (bool, error) {
		l, err := pods.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, p := range l.Items {
			if p.Status.Phase != corev1.PodRunning {
				return false, nil
			}
		}
		return len(l.Items) == 2, nil
	})
	if n, _ := nodes.Get(ctx, "n-1", metav1.GetOptions{}); len(n.Spec.Taints) != 0 {
		t.Fatalf("healthy node tainted: %v", n.Spec.Taints)
	}

	stop()
	controllertest.Eventually(t, "n-1 Unknown with unreachable taints", func(ctx context.Context) (bool, error) {
		n, err := nodes.Get(ctx, "n-1", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		st, reason := ready(n)
		return st == corev1.ConditionUnknown && reason == "NodeStatusUnknown" &&
			hasTaint(n, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute) &&
			hasTaint(n, corev1.TaintNodeUnreachable, corev1.TaintEffectNoSchedule), nil
	})
	controllertest.Eventually(t, "short evicted, forever not Ready but kept", func(ctx context.Context) (bool, error) {
		short, err := pods.Get(ctx, "short", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		forever, err := pods.Get(ctx, "forever", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		notReady := false
		for _, c := range forever.Status.Conditions {
			notReady = notReady || (c.Type == corev1.PodReady && c.Status == corev1.ConditionFalse)
		}
		return short.DeletionTimestamp != nil && forever.DeletionTimestamp == nil && notReady, nil
	})
	if n, _ := nodes.Get(ctx, "n-0", metav1.GetOptions{}); len(n.Spec.Taints) != 0 {
		t.Errorf("healthy n-0 tainted: %v", n.Spec.Taints)
	}

	startAgent(t, s, 1, 1)
	controllertest.Eventually(t, "n-1 Ready again without taints, evicted pod gone", func(ctx context.Context) (bool, error) {
		n, err := nodes.Get(ctx, "n-1", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		st, _ := ready(n)
		l, err := pods.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		return st == corev1.ConditionTrue && len(n.Spec.Taints) == 0 && len(l.Items) == 1, nil
	})
}

// TestPressureTaints: a node whose kubelet reports MemoryPressure,
// DiskPressure or PIDPressure True gets the matching NoSchedule taint
// (node.kubernetes.io/memory-pressure…), removed when the condition goes
// False; other taints are kept.
func TestPressureTaints(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cc := controller.Context{Client: s.Client, Informers: informers.NewSharedInformerFactory(s.Client, 0)}
	c, err := nodelifecycle.NewController(ctx, cc, nodelifecycle.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	cc.Informers.Start(ctx.Done())
	go c.Run(ctx, 2)

	nodes := s.Client.CoreV1().Nodes()
	_, err = nodes.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "example.com/mine", Effect: corev1.TaintEffectNoSchedule}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	setConditions := func(memory, disk, pid corev1.ConditionStatus) {
		t.Helper()
		controllertest.Eventually(t, "conditions written", func(ctx context.Context) (bool, error) {
			n, err := nodes.Get(ctx, "p", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			n.Status.Conditions = []corev1.NodeCondition{
				{Type: corev1.NodeReady, Status: corev1.ConditionTrue},
				{Type: corev1.NodeMemoryPressure, Status: memory},
				{Type: corev1.NodeDiskPressure, Status: disk},
				{Type: corev1.NodePIDPressure, Status: pid},
			}
			_, err = nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{})
			return err == nil, nil
		})
	}
	taints := func(want ...string) {
		t.Helper()
		controllertest.Eventually(t, "taints "+fmt.Sprint(want), func(ctx context.Context) (bool, error) {
			n, err := nodes.Get(ctx, "p", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			var got []string
			for _, t := range n.Spec.Taints {
				got = append(got, t.Key+":"+string(t.Effect))
			}
			return fmt.Sprint(got) == fmt.Sprint(want), nil
		})
	}
	setConditions(corev1.ConditionTrue, corev1.ConditionFalse, corev1.ConditionTrue)
	taints("example.com/mine:NoSchedule", "node.kubernetes.io/memory-pressure:NoSchedule", "node.kubernetes.io/pid-pressure:NoSchedule")
	setConditions(corev1.ConditionFalse, corev1.ConditionTrue, corev1.ConditionFalse)
	taints("example.com/mine:NoSchedule", "node.kubernetes.io/disk-pressure:NoSchedule")
	setConditions(corev1.ConditionFalse, corev1.ConditionFalse, corev1.ConditionFalse)
	taints("example.com/mine:NoSchedule")
}
