package node_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/node"
)

// execRuntime is a simulated runtime that can also run commands in its
// containers, which makes its node one with probes, hooks and events.
// It knows two commands: "cat PATH" succeeds while the test has put
// PATH, and "hook NAME" logs NAME; StopContainer is logged too, so the
// test sees what ran in which order.
type execRuntime struct {
	node.Runtime
	mu    sync.Mutex
	files map[string]bool
	log   []string
}

type exitCode int

func (e exitCode) Error() string   { return fmt.Sprintf("command terminated with exit code %d", int(e)) }
func (e exitCode) ExitStatus() int { return int(e) }

func (r *execRuntime) ExecSync(_ context.Context, id string, cmd []string, _ time.Duration) ([]byte, []byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case len(cmd) == 2 && cmd[0] == "cat":
		if r.files[cmd[1]] {
			return []byte("ok\n"), nil, nil
		}
		return nil, []byte("cat: can't open '" + cmd[1] + "': No such file or directory\n"), exitCode(1)
	case len(cmd) == 2 && cmd[0] == "hook":
		r.log = append(r.log, "hook "+cmd[1])
		return nil, nil, nil
	}
	return nil, []byte("sh: " + cmd[0] + ": not found\n"), exitCode(127)
}

func (r *execRuntime) StopContainer(ctx context.Context, id string, timeout int64) error {
	r.mu.Lock()
	r.log = append(r.log, "stop")
	r.mu.Unlock()
	return r.Runtime.StopContainer(ctx, id, timeout)
}

func (r *execRuntime) put(path string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files[path] = ok
}

func (r *execRuntime) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

func startExecAgent(t *testing.T, s *testserver.Server) *execRuntime {
	t.Helper()
	rt := &execRuntime{files: map[string]bool{}}
	startAgent(t, s, "exec-", 0, 1, func(cfg *node.Config) {
		wrapped := cfg.NewRuntime
		cfg.NewRuntime = func(name string) node.Runtime { rt.Runtime = wrapped(name); return rt }
		cfg.PodCIDRWait = 100 * time.Millisecond
	})
	return rt
}

func execProbe(path string) *corev1.Probe {
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"cat", path}}},
		PeriodSeconds: 1, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 1}
}

// podEvents lists the events about pod name as "Type Reason Message".
func podEvents(ctx context.Context, c kubernetes.Interface, ns, name string) ([]string, error) {
	list, err := c.CoreV1().Events(ns).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.name", name).String()})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range list.Items {
		if e.Source.Component != "kubelet" || e.Source.Host != "exec-0" {
			return nil, fmt.Errorf("event %s from %+v", e.Reason, e.Source)
		}
		out = append(out, e.Type+" "+e.Reason+" "+e.Message)
	}
	return out, nil
}

func hasEvent(evs []string, prefix string) bool {
	for _, e := range evs {
		if strings.HasPrefix(e, prefix) {
			return true
		}
	}
	return false
}

// TestAgentLivenessProbe: a failing liveness probe gets the container
// killed and restarted, with the kubelet's events.
func TestAgentLivenessProbe(t *testing.T) {
	s := testserver.Start(t, "")
	rt := startExecAgent(t, s)
	ctx := context.Background()
	pods := s.Client.CoreV1().Pods("default")
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "live"}, Spec: corev1.PodSpec{NodeName: "exec-0",
		Containers: []corev1.Container{{Name: "app", Image: "busybox", LivenessProbe: execProbe("/tmp/healthy")}}}}
	rt.put("/tmp/healthy", true)
	if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "pod Running and Ready", func(ctx context.Context) (bool, error) {
		p, err := pods.Get(ctx, "live", metav1.GetOptions{})
		return err == nil && podCondition(p, corev1.PodReady) == corev1.ConditionTrue, nil
	})
	rt.put("/tmp/healthy", false)
	controllertest.Eventually(t, "container restarted", func(ctx context.Context) (bool, error) {
		p, err := pods.Get(ctx, "live", metav1.GetOptions{})
		return err == nil && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1, nil
	})
	rt.put("/tmp/healthy", true)
	controllertest.Eventually(t, "the kubelet's events", func(ctx context.Context) (bool, error) {
		evs, err := podEvents(ctx, s.Client, "default", "live")
		if err != nil {
			return false, err
		}
		return hasEvent(evs, "Normal Created Container created") && hasEvent(evs, "Normal Started Container started") &&
			hasEvent(evs, "Warning Unhealthy Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory") &&
			hasEvent(evs, "Normal Killing Container app failed liveness probe, will be restarted"), nil
	})
}

// TestAgentReadinessProbe: the readiness probe, not the container
// running, decides the container's ready and the pod's Ready condition.
func TestAgentReadinessProbe(t *testing.T) {
	s := testserver.Start(t, "")
	rt := startExecAgent(t, s)
	ctx := context.Background()
	pods := s.Client.CoreV1().Pods("default")
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "ready"}, Spec: corev1.PodSpec{NodeName: "exec-0",
		Containers: []corev1.Container{{Name: "app", Image: "busybox", ReadinessProbe: execProbe("/tmp/ready")}}}}
	if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ready := func(want corev1.ConditionStatus) func(ctx context.Context) (bool, error) {
		return func(ctx context.Context) (bool, error) {
			p, err := pods.Get(ctx, "ready", metav1.GetOptions{})
			if err != nil || p.Status.Phase != corev1.PodRunning || len(p.Status.ContainerStatuses) != 1 {
				return false, nil
			}
			cs := p.Status.ContainerStatuses[0]
			return podCondition(p, corev1.PodReady) == want && podCondition(p, corev1.ContainersReady) == want &&
				cs.Ready == (want == corev1.ConditionTrue) && *cs.Started, nil
		}
	}
	controllertest.Eventually(t, "pod Running, started, not Ready", ready(corev1.ConditionFalse))
	controllertest.Eventually(t, "an Unhealthy event", func(ctx context.Context) (bool, error) {
		evs, err := podEvents(ctx, s.Client, "default", "ready")
		return err == nil && hasEvent(evs, "Warning Unhealthy Readiness probe failed: cat: can't open '/tmp/ready'"), err
	})
	rt.put("/tmp/ready", true)
	controllertest.Eventually(t, "pod Ready once the probe passes", ready(corev1.ConditionTrue))
	rt.put("/tmp/ready", false)
	controllertest.Eventually(t, "pod not Ready once it fails", ready(corev1.ConditionFalse))
	if got, _ := pods.Get(ctx, "ready", metav1.GetOptions{}); got.Status.ContainerStatuses[0].RestartCount != 0 {
		t.Fatal("a readiness failure restarted the container")
	}
}

// TestAgentPreStopHook: deleting a pod runs the preStop hook, then stops
// the container, with a Killing event.
func TestAgentPreStopHook(t *testing.T) {
	s := testserver.Start(t, "")
	rt := startExecAgent(t, s)
	ctx := context.Background()
	pods := s.Client.CoreV1().Pods("default")
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "hooks"}, Spec: corev1.PodSpec{NodeName: "exec-0",
		TerminationGracePeriodSeconds: ptr.To[int64](30),
		Containers: []corev1.Container{{Name: "app", Image: "busybox", Lifecycle: &corev1.Lifecycle{
			PostStart: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"hook", "postStart"}}},
			PreStop:   &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"hook", "preStop"}}},
		}}}}}
	if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "pod Running", func(ctx context.Context) (bool, error) {
		p, err := pods.Get(ctx, "hooks", metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodRunning, nil
	})
	if err := pods.Delete(ctx, "hooks", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "pod gone", func(ctx context.Context) (bool, error) {
		_, err := pods.Get(ctx, "hooks", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	calls := rt.calls()
	if len(calls) < 3 || calls[0] != "hook postStart" || calls[1] != "hook preStop" || calls[2] != "stop" {
		t.Fatalf("runtime calls %q, want postStart, preStop, then stop", calls)
	}
	controllertest.Eventually(t, "a Killing event", func(ctx context.Context) (bool, error) {
		evs, err := podEvents(ctx, s.Client, "default", "hooks")
		return err == nil && hasEvent(evs, "Normal Killing Stopping container app"), err
	})
}

// TestAgentStartupProbeGatesSidecar: the containers after a sidecar wait
// for its startup probe; until then it is running but not started.
func TestAgentStartupProbeGatesSidecar(t *testing.T) {
	s := testserver.Start(t, "")
	rt := startExecAgent(t, s)
	ctx := context.Background()
	pods := s.Client.CoreV1().Pods("default")
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "side"}, Spec: corev1.PodSpec{NodeName: "exec-0",
		InitContainers: []corev1.Container{{Name: "proxy", Image: "busybox", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
			StartupProbe: execProbe("/tmp/proxy-up")}},
		Containers: []corev1.Container{{Name: "app", Image: "busybox"}}}}
	p.Spec.InitContainers[0].StartupProbe.FailureThreshold = 1000
	if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "sidecar running, not started; app waiting", func(ctx context.Context) (bool, error) {
		p, err := pods.Get(ctx, "side", metav1.GetOptions{})
		if err != nil || len(p.Status.InitContainerStatuses) != 1 || len(p.Status.ContainerStatuses) != 1 {
			return false, nil
		}
		side, app := p.Status.InitContainerStatuses[0], p.Status.ContainerStatuses[0]
		return side.State.Running != nil && !*side.Started && app.State.Waiting != nil && app.State.Waiting.Reason == "PodInitializing", nil
	})
	rt.put("/tmp/proxy-up", true)
	controllertest.Eventually(t, "sidecar started, app running, pod Ready", func(ctx context.Context) (bool, error) {
		p, err := pods.Get(ctx, "side", metav1.GetOptions{})
		if err != nil || len(p.Status.InitContainerStatuses) != 1 || len(p.Status.ContainerStatuses) != 1 {
			return false, nil
		}
		return *p.Status.InitContainerStatuses[0].Started && p.Status.ContainerStatuses[0].State.Running != nil &&
			podCondition(p, corev1.PodReady) == corev1.ConditionTrue, nil
	})
}

// TestAgentStartupProbeAndPostStartFailures: a container whose startup
// probe fails is killed and restarted; so is one whose postStart hook
// fails, with the kubelet's events for each.
func TestAgentStartupProbeAndPostStartFailures(t *testing.T) {
	s := testserver.Start(t, "")
	startExecAgent(t, s)
	ctx := context.Background()
	pods := s.Client.CoreV1().Pods("default")
	slow := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "slow"}, Spec: corev1.PodSpec{NodeName: "exec-0",
		Containers: []corev1.Container{{Name: "app", Image: "busybox", StartupProbe: execProbe("/tmp/never")}}}}
	hook := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "hook"}, Spec: corev1.PodSpec{NodeName: "exec-0",
		Containers: []corev1.Container{{Name: "app", Image: "busybox", Lifecycle: &corev1.Lifecycle{
			PostStart: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"no-such-command"}}}}}}}}
	for _, p := range []*corev1.Pod{slow, hook} {
		if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"slow", "hook"} {
		controllertest.Eventually(t, name+" restarted", func(ctx context.Context) (bool, error) {
			p, err := pods.Get(ctx, name, metav1.GetOptions{})
			return err == nil && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1, nil
		})
	}
	controllertest.Eventually(t, "startup probe events", func(ctx context.Context) (bool, error) {
		evs, err := podEvents(ctx, s.Client, "default", "slow")
		return err == nil && hasEvent(evs, "Warning Unhealthy Startup probe failed: cat: can't open '/tmp/never'") &&
			hasEvent(evs, "Normal Killing Container app failed startup probe, will be restarted"), err
	})
	controllertest.Eventually(t, "postStart hook events", func(ctx context.Context) (bool, error) {
		evs, err := podEvents(ctx, s.Client, "default", "hook")
		return err == nil && hasEvent(evs, "Warning FailedPostStartHook PostStartHook failed") &&
			hasEvent(evs, "Normal Killing FailedPostStartHook"), err
	})
}

// TestSimulatedNodesRecordNoEvents: simulated nodes stay as cheap as
// kwok's: they record no events at all (they have no recorder).
func TestSimulatedNodesRecordNoEvents(t *testing.T) {
	s := testserver.Start(t, "")
	startAgent(t, s, "quiet-", 0, 1, func(cfg *node.Config) { cfg.PodCIDRWait = 100 * time.Millisecond })
	ctx := context.Background()
	pods := s.Client.CoreV1().Pods("default")
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "quiet"}, Spec: corev1.PodSpec{NodeName: "quiet-0",
		Containers: []corev1.Container{{Name: "app", Image: "busybox", ReadinessProbe: execProbe("/tmp/ready")}}}}
	if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "pod Ready (probes pass on simulated nodes)", func(ctx context.Context) (bool, error) {
		p, err := pods.Get(ctx, "quiet", metav1.GetOptions{})
		return err == nil && podCondition(p, corev1.PodReady) == corev1.ConditionTrue, nil
	})
	if err := pods.Delete(ctx, "quiet", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "pod gone", func(ctx context.Context) (bool, error) {
		_, err := pods.Get(ctx, "quiet", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	list, err := s.Client.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 0 {
		t.Fatalf("a simulated node recorded %d events, e.g. %s %s", len(list.Items), list.Items[0].Reason, list.Items[0].Message)
	}
}
