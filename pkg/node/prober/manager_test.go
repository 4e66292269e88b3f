package prober

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/record"
	testingclock "k8s.io/utils/clock/testing"
)

// probeEnv is a Manager on a fake clock whose workers report each look
// they take, probing real loopback servers.
type probeEnv struct {
	m       *Manager
	clk     *testingclock.FakeClock
	rec     *record.FakeRecorder
	changes chan types.NamespacedName

	mu    sync.Mutex
	looks map[workerKey]chan struct{}
}

func newProbeEnv(t *testing.T) *probeEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := &probeEnv{clk: testingclock.NewFakeClock(time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)),
		rec: record.NewFakeRecorder(1000), changes: make(chan types.NamespacedName, 1000), looks: map[workerKey]chan struct{}{}}
	m, err := NewManager(ctx, Config{Runner: hostRunner{}, Recorder: e.rec, Clock: e.clk,
		OnChange: func(p types.NamespacedName) { e.changes <- p }})
	if err != nil {
		t.Fatal(err)
	}
	m.looked = func(c string, k Kind) { e.look(workerKey{c, k}) <- struct{}{} }
	e.m = m
	return e
}

func (e *probeEnv) look(k workerKey) chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.looks[k] == nil {
		e.looks[k] = make(chan struct{}, 100)
	}
	return e.looks[k]
}

// waitLook waits for the next look of container's kind worker.
func (e *probeEnv) waitLook(t *testing.T, container string, k Kind) {
	t.Helper()
	select {
	case <-e.look(workerKey{container, k}):
	case <-time.After(10 * time.Second):
		t.Fatalf("%s worker of %s took no look", k, container)
	}
}

// tick advances the clock one period and waits for the given workers'
// looks.
func (e *probeEnv) tick(t *testing.T, period time.Duration, container string, kinds ...Kind) {
	t.Helper()
	e.clk.Step(period)
	for _, k := range kinds {
		e.waitLook(t, container, k)
	}
}

func (e *probeEnv) result(t *testing.T, k Kind, cid string) Result {
	t.Helper()
	r, ok := e.m.Result(k, cid)
	if !ok {
		t.Fatalf("no %s result for %s", k, cid)
	}
	return r
}

// events drains the recorded events.
func (e *probeEnv) events() []string {
	var out []string
	for {
		select {
		case ev := <-e.rec.Events:
			out = append(out, ev)
		default:
			return out
		}
	}
}

// switchServer answers 200 on a path while its flag is set, 500 otherwise,
// and counts requests per path.
type switchServer struct {
	*httptest.Server
	ok   sync.Map // path -> *atomic.Bool
	hits sync.Map // path -> *atomic.Int32
}

func newSwitchServer(t *testing.T) *switchServer {
	s := &switchServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, _ := s.hits.LoadOrStore(r.URL.Path, new(atomic.Int32))
		h.(*atomic.Int32).Add(1)
		if ok, _ := s.ok.LoadOrStore(r.URL.Path, new(atomic.Bool)); !ok.(*atomic.Bool).Load() {
			http.Error(w, "sick", http.StatusInternalServerError)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *switchServer) set(path string, ok bool) {
	v, _ := s.ok.LoadOrStore(path, new(atomic.Bool))
	v.(*atomic.Bool).Store(ok)
}

func (s *switchServer) count(path string) int32 {
	v, _ := s.hits.LoadOrStore(path, new(atomic.Int32))
	return v.(*atomic.Int32).Load()
}

func (s *switchServer) port(t *testing.T) int { _, p := hostPort(t, s.URL); return p }

func httpProbe(path string, port int) *corev1.Probe {
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt(port)}},
		PeriodSeconds: 10, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 3}
}

func testPod(c corev1.Container) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", UID: "uid-1"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{c}, RestartPolicy: corev1.RestartPolicyAlways}}
}

// update gives pod's status, with container app running as cid since
// now, to the manager's UpdatePodStatus and returns it as updated.
func (e *probeEnv) update(pod *corev1.Pod, cid string) corev1.PodStatus {
	st := corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "127.0.0.1", ContainerStatuses: []corev1.ContainerStatus{{
		Name: "app", ContainerID: cid, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(e.clk.Now())}}}}}
	e.m.UpdatePodStatus(pod, &st)
	return st
}

const period = 10 * time.Second

func TestLivenessFailureThreshold(t *testing.T) {
	e := newProbeEnv(t)
	srv := newSwitchServer(t)
	srv.set("/healthz", true)
	pod := testPod(corev1.Container{Name: "app", LivenessProbe: httpProbe("/healthz", srv.port(t))})
	st := e.update(pod, "containerd://one")
	if !*st.ContainerStatuses[0].Started || !st.ContainerStatuses[0].Ready {
		t.Fatalf("without startup/readiness probes a running container is started and ready: %+v", st.ContainerStatuses[0])
	}
	e.waitLook(t, "app", Liveness)
	if r := e.result(t, Liveness, "containerd://one"); r != Success {
		t.Fatalf("healthy container: %v", r)
	}

	srv.set("/healthz", false)
	for i := 1; i <= 2; i++ {
		e.tick(t, period, "app", Liveness)
		if r := e.result(t, Liveness, "containerd://one"); r != Success {
			t.Fatalf("after %d failures (threshold 3): %v", i, r)
		}
	}
	e.tick(t, period, "app", Liveness)
	if r := e.result(t, Liveness, "containerd://one"); r != Failure {
		t.Fatalf("after 3 failures: %v", r)
	}
	select {
	case p := <-e.changes:
		if p != (types.NamespacedName{Namespace: "ns", Name: "p"}) {
			t.Fatalf("OnChange for %v", p)
		}
	default:
		t.Fatal("no OnChange call for the liveness failure")
	}
	evs := e.events()
	want := "Warning Unhealthy Liveness probe failed: HTTP probe failed with statuscode: 500"
	if len(evs) != 3 || evs[0] != want {
		t.Fatalf("events %q, want 3 × %q", evs, want)
	}

	// On hold until the container is replaced: no more probes.
	hits := srv.count("/healthz")
	e.tick(t, period, "app", Liveness)
	if got := srv.count("/healthz"); got != hits {
		t.Fatalf("probed a container that failed liveness: %d requests, want %d", got, hits)
	}

	// The restarted container starts over.
	srv.set("/healthz", true)
	st = e.update(pod, "containerd://two")
	e.tick(t, period, "app", Liveness)
	if r := e.result(t, Liveness, "containerd://two"); r != Success {
		t.Fatalf("new container: %v", r)
	}
	if _, ok := e.m.Result(Liveness, "containerd://one"); ok {
		t.Fatal("the old container's result is kept")
	}
}

func TestReadinessGatesReady(t *testing.T) {
	e := newProbeEnv(t)
	srv := newSwitchServer(t)
	srv.set("/ready", true)
	p := httpProbe("/ready", srv.port(t))
	p.SuccessThreshold, p.FailureThreshold = 2, 1
	pod := testPod(corev1.Container{Name: "app", ReadinessProbe: p})
	ready := func() bool {
		st := e.update(pod, "containerd://one")
		return st.ContainerStatuses[0].Ready
	}
	if ready() {
		t.Fatal("ready before any readiness probe")
	}
	e.waitLook(t, "app", Readiness) // one success: below the threshold of 2
	if ready() {
		t.Fatal("ready after 1 success (threshold 2)")
	}
	e.tick(t, period, "app", Readiness)
	if !ready() {
		t.Fatal("not ready after 2 successes")
	}
	srv.set("/ready", false)
	e.tick(t, period, "app", Readiness)
	if ready() {
		t.Fatal("still ready after a failure (threshold 1)")
	}
	if evs := e.events(); len(evs) != 1 || !strings.HasPrefix(evs[0], "Warning Unhealthy Readiness probe failed: ") {
		t.Fatalf("events %q", evs)
	}
}

func TestStartupProbeGatesLiveness(t *testing.T) {
	e := newProbeEnv(t)
	srv := newSwitchServer(t)
	live := httpProbe("/healthz", srv.port(t))
	live.FailureThreshold = 1
	start := httpProbe("/started", srv.port(t))
	start.FailureThreshold = 30
	pod := testPod(corev1.Container{Name: "app", LivenessProbe: live, StartupProbe: start})
	update := func() corev1.ContainerStatus {
		st := e.update(pod, "containerd://one")
		return st.ContainerStatuses[0]
	}
	if cs := update(); *cs.Started || cs.Ready {
		t.Fatalf("started/ready before the startup probe passed: %+v", cs)
	}
	e.waitLook(t, "app", Startup)
	e.waitLook(t, "app", Liveness)
	for i := 0; i < 3; i++ {
		e.tick(t, period, "app", Startup, Liveness)
	}
	if n := srv.count("/healthz"); n != 0 {
		t.Fatalf("liveness probed %d times before startup passed", n)
	}
	if n := srv.count("/started"); n != 4 {
		t.Fatalf("startup probed %d times, want 4", n)
	}
	if r := e.result(t, Startup, "containerd://one"); r != Unknown {
		t.Fatalf("startup result below its threshold: %v", r)
	}

	srv.set("/started", true)
	e.tick(t, period, "app", Startup, Liveness)
	if r := e.result(t, Startup, "containerd://one"); r != Success {
		t.Fatalf("startup result: %v", r)
	}
	if cs := update(); !*cs.Started || !cs.Ready {
		t.Fatalf("not started/ready after the startup probe passed: %+v", cs)
	}
	// Now liveness runs (and fails: /healthz is off).
	e.tick(t, period, "app", Startup, Liveness)
	if r := e.result(t, Liveness, "containerd://one"); r != Failure || srv.count("/healthz") != 1 {
		t.Fatalf("liveness after start: %v, %d probes", r, srv.count("/healthz"))
	}
	if n := srv.count("/started"); n != 5 {
		t.Fatalf("startup probed %d times after it passed, want it to stop at 5", n)
	}
}

func TestStartupProbeFailure(t *testing.T) {
	e := newProbeEnv(t)
	srv := newSwitchServer(t)
	start := httpProbe("/started", srv.port(t))
	start.FailureThreshold = 2
	pod := testPod(corev1.Container{Name: "app", StartupProbe: start})
	e.update(pod, "containerd://one")
	e.waitLook(t, "app", Startup)
	e.tick(t, period, "app", Startup)
	if r := e.result(t, Startup, "containerd://one"); r != Failure {
		t.Fatalf("startup after 2 failures (threshold 2): %v", r)
	}
	if evs := e.events(); len(evs) != 2 || !strings.HasPrefix(evs[0], "Warning Unhealthy Startup probe failed: HTTP probe failed with statuscode: 500") {
		t.Fatalf("events %q", evs)
	}
}

func TestInitialDelay(t *testing.T) {
	e := newProbeEnv(t)
	srv := newSwitchServer(t)
	srv.set("/healthz", true)
	p := httpProbe("/healthz", srv.port(t))
	p.InitialDelaySeconds = 25
	pod := testPod(corev1.Container{Name: "app", LivenessProbe: p})
	e.update(pod, "containerd://one")
	e.waitLook(t, "app", Liveness)
	e.tick(t, period, "app", Liveness) // 10s
	e.tick(t, period, "app", Liveness) // 20s
	if n := srv.count("/healthz"); n != 0 {
		t.Fatalf("probed %d times within the initial delay", n)
	}
	e.tick(t, period, "app", Liveness) // 30s
	if n := srv.count("/healthz"); n != 1 {
		t.Fatalf("probed %d times after the initial delay, want 1", n)
	}
}

func TestWorkersEnd(t *testing.T) {
	e := newProbeEnv(t)
	srv := newSwitchServer(t)
	pod := testPod(corev1.Container{Name: "app", LivenessProbe: httpProbe("/healthz", srv.port(t))})
	pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	st := e.update(pod, "containerd://one")
	e.waitLook(t, "app", Liveness)

	// A container that exited and will not restart: the worker ends.
	st.ContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}}
	e.m.UpdatePodStatus(pod, &st)
	e.tick(t, period, "app", Liveness)
	waitWorkers(t, e.m, pod.UID, 0)

	// A pod being deleted: liveness reports success and ends.
	e2 := newProbeEnv(t)
	pod2 := pod.DeepCopy()
	pod2.Spec.RestartPolicy = corev1.RestartPolicyAlways
	pod2.DeletionTimestamp = &metav1.Time{Time: e2.clk.Now()}
	e2.update(pod2, "containerd://one")
	e2.waitLook(t, "app", Liveness)
	waitWorkers(t, e2.m, pod2.UID, 0)
	if srv.count("/healthz") != 1 {
		t.Fatalf("probes: %d, want only the first pod's one", srv.count("/healthz"))
	}

	// RemovePod forgets the pod.
	e2.m.RemovePod(pod2.UID)
	if e2.m.Pods() != 0 {
		t.Fatal("RemovePod kept the pod")
	}
}

func waitWorkers(t *testing.T, m *Manager, uid types.UID, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m.mu.Lock()
		got := len(m.pods[uid].workers)
		m.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d workers, want %d", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
