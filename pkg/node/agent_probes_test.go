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
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
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

// execFixture is an API server and an exec agent (its node exec-0).
type execFixture struct {
	s    *testserver.Server
	rt   *execRuntime
	pods typedcorev1.PodInterface
}

func startExecAgent(t *testing.T) *execFixture {
	t.Helper()
	s := testserver.Start(t, "")
	rt := &execRuntime{files: map[string]bool{}}
	startAgent(t, s, "exec-", 0, 1, func(cfg *node.Config) {
		wrapped := cfg.NewRuntime
		cfg.NewRuntime = func(name string) node.Runtime { rt.Runtime = wrapped(name); return rt }
		cfg.PodCIDRWait = 100 * time.Millisecond
	})
	return &execFixture{s: s, rt: rt, pods: s.Client.CoreV1().Pods("default")}
}

func (f *execFixture) create(t *testing.T, pods ...*corev1.Pod) {
	t.Helper()
	for _, p := range pods {
		if _, err := f.pods.Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// waitPod waits until pod name is there and cond holds.
func (f *execFixture) waitPod(t *testing.T, name, what string, cond func(*corev1.Pod) bool) {
	t.Helper()
	controllertest.Eventually(t, name+": "+what, func(ctx context.Context) (bool, error) {
		p, err := f.pods.Get(ctx, name, metav1.GetOptions{})
		return err == nil && cond(p), nil
	})
}

// waitEvents waits until pod name has an event starting with each of
// prefixes ("Type Reason Message").
func (f *execFixture) waitEvents(t *testing.T, name string, prefixes ...string) {
	t.Helper()
	controllertest.Eventually(t, name+": events "+strings.Join(prefixes, "; "), func(ctx context.Context) (bool, error) {
		evs, err := podEvents(ctx, f.s.Client, "default", name)
		if err != nil {
			return false, err
		}
		for _, want := range prefixes {
			if !hasEvent(evs, want) {
				return false, nil
			}
		}
		return true, nil
	})
}

func restarted(p *corev1.Pod) bool {
	return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1
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
	f := startExecAgent(t)
	f.rt.put("/tmp/healthy", true)
	f.create(t, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "live"}, Spec: corev1.PodSpec{NodeName: "exec-0",
		Containers: []corev1.Container{{Name: "app", Image: "busybox", LivenessProbe: execProbe("/tmp/healthy")}}}})
	f.waitPod(t, "live", "Running and Ready", func(p *corev1.Pod) bool { return podCondition(p, corev1.PodReady) == corev1.ConditionTrue })
	f.rt.put("/tmp/healthy", false)
	f.waitPod(t, "live", "container restarted", restarted)
	f.rt.put("/tmp/healthy", true)
	f.waitEvents(t, "live", "Normal Created Container created", "Normal Started Container started",
		"Warning Unhealthy Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory",
		"Normal Killing Container app failed liveness probe, will be restarted")
}

// TestAgentReadinessProbe: the readiness probe, not the container
// running, decides the container's ready and the pod's Ready condition.
func TestAgentReadinessProbe(t *testing.T) {
	f := startExecAgent(t)
	f.create(t, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "ready"}, Spec: corev1.PodSpec{NodeName: "exec-0",
		Containers: []corev1.Container{{Name: "app", Image: "busybox", ReadinessProbe: execProbe("/tmp/ready")}}}})
	ready := func(want corev1.ConditionStatus) func(*corev1.Pod) bool {
		return func(p *corev1.Pod) bool {
			if p.Status.Phase != corev1.PodRunning || len(p.Status.ContainerStatuses) != 1 {
				return false
			}
			cs := p.Status.ContainerStatuses[0]
			return podCondition(p, corev1.PodReady) == want && podCondition(p, corev1.ContainersReady) == want &&
				cs.Ready == (want == corev1.ConditionTrue) && *cs.Started
		}
	}
	f.waitPod(t, "ready", "Running, started, not Ready", ready(corev1.ConditionFalse))
	f.waitEvents(t, "ready", "Warning Unhealthy Readiness probe failed: cat: can't open '/tmp/ready'")
	f.rt.put("/tmp/ready", true)
	f.waitPod(t, "ready", "Ready once the probe passes", ready(corev1.ConditionTrue))
	f.rt.put("/tmp/ready", false)
	f.waitPod(t, "ready", "not Ready once it fails", ready(corev1.ConditionFalse))
	if got, _ := f.pods.Get(context.Background(), "ready", metav1.GetOptions{}); got.Status.ContainerStatuses[0].RestartCount != 0 {
		t.Fatal("a readiness failure restarted the container")
	}
}

// TestAgentPreStopHook: deleting a pod runs the preStop hook, then stops
// the container, with a Killing event.
func TestAgentPreStopHook(t *testing.T) {
	f := startExecAgent(t)
	ctx := context.Background()
	f.create(t, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "hooks"}, Spec: corev1.PodSpec{NodeName: "exec-0",
		TerminationGracePeriodSeconds: ptr.To[int64](30),
		Containers: []corev1.Container{{Name: "app", Image: "busybox", Lifecycle: &corev1.Lifecycle{
			PostStart: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"hook", "postStart"}}},
			PreStop:   &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"hook", "preStop"}}},
		}}}}})
	f.waitPod(t, "hooks", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	if err := f.pods.Delete(ctx, "hooks", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "pod gone", func(ctx context.Context) (bool, error) {
		_, err := f.pods.Get(ctx, "hooks", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	calls := f.rt.calls()
	if len(calls) < 3 || calls[0] != "hook postStart" || calls[1] != "hook preStop" || calls[2] != "stop" {
		t.Fatalf("runtime calls %q, want postStart, preStop, then stop", calls)
	}
	f.waitEvents(t, "hooks", "Normal Killing Stopping container app")
}

// TestAgentStartupProbeGatesSidecar: the containers after a sidecar wait
// for its startup probe; until then it is running but not started.
func TestAgentStartupProbeGatesSidecar(t *testing.T) {
	f := startExecAgent(t)
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "side"}, Spec: corev1.PodSpec{NodeName: "exec-0",
		InitContainers: []corev1.Container{{Name: "proxy", Image: "busybox", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
			StartupProbe: execProbe("/tmp/proxy-up")}},
		Containers: []corev1.Container{{Name: "app", Image: "busybox"}}}}
	p.Spec.InitContainers[0].StartupProbe.FailureThreshold = 1000
	f.create(t, p)
	both := func(p *corev1.Pod) bool {
		return len(p.Status.InitContainerStatuses) == 1 && len(p.Status.ContainerStatuses) == 1
	}
	f.waitPod(t, "side", "sidecar running, not started; app waiting", func(p *corev1.Pod) bool {
		if !both(p) {
			return false
		}
		side, app := p.Status.InitContainerStatuses[0], p.Status.ContainerStatuses[0]
		return side.State.Running != nil && !*side.Started && app.State.Waiting != nil && app.State.Waiting.Reason == "PodInitializing"
	})
	f.rt.put("/tmp/proxy-up", true)
	f.waitPod(t, "side", "sidecar started, app running, pod Ready", func(p *corev1.Pod) bool {
		return both(p) && *p.Status.InitContainerStatuses[0].Started && p.Status.ContainerStatuses[0].State.Running != nil &&
			podCondition(p, corev1.PodReady) == corev1.ConditionTrue
	})
}

// TestAgentStartupProbeAndPostStartFailures: a container whose startup
// probe fails is killed and restarted; so is one whose postStart hook
// fails, with the kubelet's events for each.
func TestAgentStartupProbeAndPostStartFailures(t *testing.T) {
	f := startExecAgent(t)
	f.create(t,
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "slow"}, Spec: corev1.PodSpec{NodeName: "exec-0",
			Containers: []corev1.Container{{Name: "app", Image: "busybox", StartupProbe: execProbe("/tmp/never")}}}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "hook"}, Spec: corev1.PodSpec{NodeName: "exec-0",
			Containers: []corev1.Container{{Name: "app", Image: "busybox", Lifecycle: &corev1.Lifecycle{
				PostStart: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"no-such-command"}}}}}}}})
	f.waitPod(t, "slow", "restarted", restarted)
	f.waitPod(t, "hook", "restarted", restarted)
	f.waitEvents(t, "slow", "Warning Unhealthy Startup probe failed: cat: can't open '/tmp/never'",
		"Normal Killing Container app failed startup probe, will be restarted")
	f.waitEvents(t, "hook", "Warning FailedPostStartHook PostStartHook failed", "Normal Killing FailedPostStartHook")
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
