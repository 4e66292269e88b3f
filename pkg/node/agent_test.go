package node_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controllermanager"
	"github.com/tinykube/tinykube/pkg/node"
	"github.com/tinykube/tinykube/pkg/node/simulated"
)

// startAgent runs count simulated nodes named prefix<i> until the
// returned cancel is called.
func startAgent(t testing.TB, s *testserver.Server, prefix string, first, count int, tweak func(*node.Config)) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	host := simulated.NewHost(clock.RealClock{})
	go host.Run(ctx)
	cfg := node.DefaultConfig()
	cfg.RESTConfig, cfg.Count, cfg.NamePrefix, cfg.FirstIndex = s.RESTConfig, count, prefix, first
	cfg.NewRuntime = func(string) node.Runtime { return host.NewRuntime() }
	cfg.LeaseDuration, cfg.LeaseRenewInterval = 4*time.Second, time.Second
	cfg.ShutdownDelay, cfg.RestartBackoff = 200*time.Millisecond, 100*time.Millisecond
	if tweak != nil {
		tweak(&cfg)
	}
	a, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

func startControllers(t testing.TB, s *testserver.Server, names ...string) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg := controllermanager.DefaultConfig()
	cfg.RESTConfig, cfg.LeaderElect, cfg.Controllers = s.RESTConfig, false, names
	cfg.ClusterCIDR = netip.MustParsePrefix("10.0.0.0/8")
	done := make(chan struct{})
	go func() { defer close(done); _ = controllermanager.Run(ctx, cfg) }()
	t.Cleanup(func() { cancel(); <-done })
}

func readyCondition(n *corev1.Node) corev1.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return ""
}

func podCondition(p *corev1.Pod, t corev1.PodConditionType) corev1.ConditionStatus {
	for _, c := range p.Status.Conditions {
		if c.Type == t {
			return c.Status
		}
	}
	return ""
}

func testPod(name, nodeName string, annotations map[string]string, policy corev1.RestartPolicy) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations},
		Spec: corev1.PodSpec{
			NodeName: nodeName, RestartPolicy: policy,
			InitContainers: []corev1.Container{{Name: "setup", Image: "busybox"}},
			Containers:     []corev1.Container{{Name: "app", Image: "nginx:1.27"}, {Name: "log", Image: "busybox"}},
		},
	}
}

// TestSimulatedNodes: nodes register with podCIDRs from node IPAM and go
// Ready; their pods run, exit, restart and are deleted as with a kubelet.
func TestSimulatedNodes(t *testing.T) {
	s := testserver.Start(t, "")
	startControllers(t, s, "nodeipam")
	startAgent(t, s, "sim-", 0, 3, nil)
	ctx := context.Background()
	nodes := s.Client.CoreV1().Nodes()

	var node0 *corev1.Node
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("sim-%d", i)
		controllertest.EventuallyWithin(t, name+" Ready with a podCIDR", 30*time.Second, func(ctx context.Context) (bool, error) {
			n, err := nodes.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			if i == 0 {
				node0 = n
			}
			return n.Spec.PodCIDR != "" && readyCondition(n) == corev1.ConditionTrue, nil
		})
		// The Lease is written apart from the Node: it may trail it.
		controllertest.EventuallyWithin(t, name+" Lease renewed", 30*time.Second, func(ctx context.Context) (bool, error) {
			l, err := s.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != name {
				return false, fmt.Errorf("lease of %s held by %v", name, l.Spec.HolderIdentity)
			}
			return l.Spec.RenewTime != nil, nil
		})
	}
	if got := node0.Status.NodeInfo.KubeletVersion; got != node.KubeletVersion {
		t.Errorf("kubeletVersion = %q", got)
	}
	if got := node0.Status.Allocatable[corev1.ResourcePods]; got.Value() != 110 {
		t.Errorf("allocatable pods = %v", got.String())
	}
	if node0.Labels[corev1.LabelHostname] != "sim-0" || node0.Status.Addresses[0].Address != "172.18.0.2" {
		t.Errorf("labels %v addresses %v", node0.Labels, node0.Status.Addresses)
	}
	cidr := netip.MustParsePrefix(node0.Spec.PodCIDR)

	pods := s.Client.CoreV1().Pods("default")
	t.Run("runs", func(t *testing.T) {
		if _, err := pods.Create(ctx, testPod("web", "sim-0", nil, corev1.RestartPolicyAlways), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		var p *corev1.Pod
		controllertest.EventuallyWithin(t, "pod Running and Ready", 30*time.Second, func(ctx context.Context) (bool, error) {
			var err error
			p, err = pods.Get(ctx, "web", metav1.GetOptions{})
			return err == nil && p.Status.Phase == corev1.PodRunning && podCondition(p, corev1.PodReady) == corev1.ConditionTrue, nil
		})
		if ip, err := netip.ParseAddr(p.Status.PodIP); err != nil || !cidr.Contains(ip) {
			t.Errorf("podIP %q not in the node's podCIDR %s", p.Status.PodIP, cidr)
		}
		if p.Status.HostIP != "172.18.0.2" || p.Status.StartTime == nil {
			t.Errorf("hostIP %q startTime %v", p.Status.HostIP, p.Status.StartTime)
		}
		for _, c := range []corev1.PodConditionType{corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.ContainersReady, corev1.PodScheduled} {
			if podCondition(p, c) != corev1.ConditionTrue {
				t.Errorf("condition %s = %q", c, podCondition(p, c))
			}
		}
		if len(p.Status.InitContainerStatuses) != 1 || p.Status.InitContainerStatuses[0].State.Terminated == nil ||
			p.Status.InitContainerStatuses[0].State.Terminated.Reason != "Completed" {
			t.Errorf("init container status %+v", p.Status.InitContainerStatuses)
		}
		for _, cs := range p.Status.ContainerStatuses {
			if !cs.Ready || cs.State.Running == nil || cs.ContainerID == "" || cs.ImageID == "" || !*cs.Started {
				t.Errorf("container status %+v", cs)
			}
		}
	})

	// status.observedGeneration (and the kubelet's conditions') follow
	// metadata.generation, which a spec update bumps.
	t.Run("observed generation", func(t *testing.T) {
		p, err := pods.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p.Spec.Containers[0].Image = "nginx:1.28"
		if p, err = pods.Update(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if p.Generation < 2 {
			t.Fatalf("generation %d after a spec update", p.Generation)
		}
		want := p.Generation
		controllertest.EventuallyWithin(t, "observedGeneration follows", 30*time.Second, func(ctx context.Context) (bool, error) {
			p, err := pods.Get(ctx, "web", metav1.GetOptions{})
			return err == nil && p.Status.ObservedGeneration == want, nil
		})
		p, err = pods.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Status.Conditions {
			if c.Type != corev1.PodScheduled && c.ObservedGeneration != want {
				t.Errorf("condition %s observedGeneration %d, want %d", c.Type, c.ObservedGeneration, want)
			}
		}
	})

	// The agent writes statuses from its cache, asynchronously; a
	// condition another writer sets in between must survive, and the
	// status computed on top of it (Ready) must follow.
	t.Run("readiness gate set by another writer", func(t *testing.T) {
		const gate = corev1.PodConditionType("example.com/gate")
		p := testPod("gated", "sim-0", nil, corev1.RestartPolicyAlways)
		p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: gate}}
		if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		controllertest.EventuallyWithin(t, "pod Running, not Ready until its gate is", 30*time.Second, func(ctx context.Context) (bool, error) {
			var err error
			p, err = pods.Get(ctx, "gated", metav1.GetOptions{})
			return err == nil && p.Status.Phase == corev1.PodRunning && podCondition(p, corev1.ContainersReady) == corev1.ConditionTrue, nil
		})
		if got := podCondition(p, corev1.PodReady); got != corev1.ConditionFalse {
			t.Fatalf("Ready = %q before the gate is set", got)
		}
		controllertest.EventuallyWithin(t, "gate condition written", 30*time.Second, func(ctx context.Context) (bool, error) {
			p, err := pods.Get(ctx, "gated", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: gate, Status: corev1.ConditionTrue})
			_, err = pods.UpdateStatus(ctx, p, metav1.UpdateOptions{})
			return err == nil, nil // a conflict with the agent: try again
		})
		controllertest.EventuallyWithin(t, "pod Ready with the gate kept", 30*time.Second, func(ctx context.Context) (bool, error) {
			p, err := pods.Get(ctx, "gated", metav1.GetOptions{})
			return err == nil && podCondition(p, corev1.PodReady) == corev1.ConditionTrue && podCondition(p, gate) == corev1.ConditionTrue, nil
		})
	})

	t.Run("graceful delete is confirmed", func(t *testing.T) {
		if err := pods.Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		controllertest.EventuallyWithin(t, "pod gone", 30*time.Second, func(ctx context.Context) (bool, error) {
			_, err := pods.Get(ctx, "web", metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
	})

	exit := func(after, code string) map[string]string {
		return map[string]string{node.AnnotationExitAfter: after, node.AnnotationExitCode: code}
	}
	for _, tc := range []struct {
		name   string
		policy corev1.RestartPolicy
		code   string
		phase  corev1.PodPhase
	}{
		{"succeeds", corev1.RestartPolicyNever, "0", corev1.PodSucceeded},
		{"fails", corev1.RestartPolicyNever, "3", corev1.PodFailed},
		{"onfailure-succeeds", corev1.RestartPolicyOnFailure, "0", corev1.PodSucceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := pods.Create(ctx, testPod(tc.name, "sim-1", exit("300ms", tc.code), tc.policy), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			var p *corev1.Pod
			controllertest.EventuallyWithin(t, "pod "+string(tc.phase), 30*time.Second, func(ctx context.Context) (bool, error) {
				var err error
				p, err = pods.Get(ctx, tc.name, metav1.GetOptions{})
				return err == nil && p.Status.Phase == tc.phase, nil
			})
			for _, cs := range p.Status.ContainerStatuses {
				if cs.State.Terminated == nil || fmt.Sprint(cs.State.Terminated.ExitCode) != tc.code || cs.Ready {
					t.Errorf("container status %+v", cs)
				}
			}
			if podCondition(p, corev1.PodReady) != corev1.ConditionFalse {
				t.Errorf("Ready = %q", podCondition(p, corev1.PodReady))
			}
		})
	}

	t.Run("restarts", func(t *testing.T) {
		if _, err := pods.Create(ctx, testPod("crashy", "sim-2", exit("200ms", "1"), corev1.RestartPolicyAlways), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		controllertest.EventuallyWithin(t, "restartCount >= 2 with lastState", 30*time.Second, func(ctx context.Context) (bool, error) {
			p, err := pods.Get(ctx, "crashy", metav1.GetOptions{})
			if err != nil || p.Status.Phase != corev1.PodRunning || len(p.Status.ContainerStatuses) != 2 {
				return false, nil
			}
			cs := p.Status.ContainerStatuses[0]
			return cs.RestartCount >= 2 && cs.LastTerminationState.Terminated != nil && cs.LastTerminationState.Terminated.ExitCode == 1, nil
		})
	})

	t.Run("terminating pod with a short grace period", func(t *testing.T) {
		if err := pods.Delete(ctx, "crashy", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](1)}); err != nil {
			t.Fatal(err)
		}
		controllertest.EventuallyWithin(t, "pod gone", 30*time.Second, func(ctx context.Context) (bool, error) {
			_, err := pods.Get(ctx, "crashy", metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
	})
}
