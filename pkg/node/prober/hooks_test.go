package prober

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestRunHook(t *testing.T) {
	e := newProbeEnv(t)
	var gotUA string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUA = r.UserAgent()
		http.Error(w, "whatever", http.StatusInternalServerError)
	}))
	defer srv.Close()
	_, port := hostPort(t, srv.URL)
	closed := func() int {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}()
	c := &corev1.Container{Name: "app"}
	pod := testPod(*c)
	for _, tc := range []struct {
		name    string
		h       *corev1.LifecycleHandler
		wantMsg string
	}{
		{name: "exec ok", h: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}},
		{name: "exec fails", h: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sh", "-c", "echo nope; exit 3"}}},
			wantMsg: `Exec lifecycle hook ([sh -c echo nope; exit 3]) for Container "app" in Pod "p_ns(uid-1)" failed - error: command 'sh -c echo nope; exit 3' exited with 3: , message: "nope\n"`},
		{name: "http answered (any status)", h: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/stop", Port: intstr.FromInt(port)}}},
		{name: "http unanswered", h: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/stop", Port: intstr.FromInt(closed)}},
			wantMsg: `HTTP lifecycle hook (/stop) for Container "app" in Pod "p_ns(uid-1)" failed - error: Get "http://127.0.0.1:`},
		{name: "https answered in http falls back", h: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/stop", Port: intstr.FromInt(port), Scheme: corev1.URISchemeHTTPS}}},
		{name: "no action", h: &corev1.LifecycleHandler{}, wantMsg: "Cannot run handler: invalid handler"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := e.m.RunHook(context.Background(), pod, c, "cid", "127.0.0.1", tc.h)
			if (err != nil) != (tc.wantMsg != "") || !strings.HasPrefix(msg, tc.wantMsg) {
				t.Fatalf("got %q, %v; want %q", msg, err, tc.wantMsg)
			}
		})
	}
	if gotUA != "kube-lifecycle/1.37" {
		t.Fatalf("hook User-Agent %q", gotUA)
	}
	if evs := e.events(); len(evs) != 1 || !strings.HasPrefix(evs[0], "Warning LifecycleHTTPFallback request to HTTPS lifecycle hook") {
		t.Fatalf("events %q", evs)
	}

	// sleep: the clock's seconds, or an error if the container goes first.
	sleep := &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 5}}
	done := make(chan error, 1)
	go func() { _, err := e.m.RunHook(context.Background(), pod, c, "cid", "", sleep); done <- err }()
	stepWhenWaiting(t, e, 5*time.Second, 1)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if msg, err := e.m.RunHook(ctx, pod, c, "cid", "", sleep); err == nil || !strings.Contains(msg, "container terminated before sleep hook finished") {
		t.Fatalf("cancelled sleep: %q %v", msg, err)
	}
}

// stepWhenWaiting steps the fake clock by d once n timers (besides the
// workers' tickers) wait on it.
func stepWhenWaiting(t *testing.T, e *probeEnv, d time.Duration, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.clk.Waiters() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d waiters on the clock, want %d", e.clk.Waiters(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.clk.Step(d)
}

func TestPostStartHook(t *testing.T) {
	e := newProbeEnv(t)
	c := &corev1.Container{Name: "app", Lifecycle: &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"false"}}}}}
	pod := testPod(*c)
	msg, err := e.m.RunPostStart(context.Background(), pod, c, "cid", "")
	if !errors.Is(err, ErrPostStartHook) || !strings.HasPrefix(msg, "Exec lifecycle hook ([false])") {
		t.Fatalf("got %q, %v", msg, err)
	}
	if evs := e.events(); len(evs) != 1 || evs[0] != "Warning FailedPostStartHook PostStartHook failed" {
		t.Fatalf("events %q", evs)
	}
	c.Lifecycle.PostStart.Exec.Command = []string{"true"}
	if _, err := e.m.RunPostStart(context.Background(), pod, c, "cid", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.RunPostStart(context.Background(), pod, &corev1.Container{Name: "app"}, "cid", ""); err != nil {
		t.Fatal("no hook:", err)
	}
}

func TestPreStopHookWithinGrace(t *testing.T) {
	e := newProbeEnv(t)
	// A hook that outlives the grace period: RunPreStop returns at the
	// end of the grace period, and the hook fails when the container
	// (ctx) goes.
	c := &corev1.Container{Name: "app", Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 60}}}}
	pod := testPod(*c)
	ctx, cancel := context.WithCancel(context.Background())
	took := make(chan time.Duration, 1)
	go func() { took <- e.m.RunPreStop(ctx, pod, c, "cid", "", 3*time.Second) }()
	stepWhenWaiting(t, e, 3*time.Second, 2) // the sleep and the grace timers
	if d := <-took; d != 3*time.Second {
		t.Fatalf("RunPreStop took %v, want the grace period 3s", d)
	}
	cancel()
	select {
	case ev := <-e.rec.Events:
		if ev != "Warning FailedPreStopHook PreStopHook failed" {
			t.Fatalf("event %q", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no FailedPreStopHook event")
	}

	// A quick hook: returns when it is done, with the time it took.
	c.Lifecycle.PreStop = &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}
	if d := e.m.RunPreStop(context.Background(), pod, c, "cid", "", 30*time.Second); d != 0 {
		t.Fatalf("quick hook took %v on the fake clock", d)
	}
}

func TestKillGracePeriod(t *testing.T) {
	c := &corev1.Container{Name: "app",
		LivenessProbe: &corev1.Probe{TerminationGracePeriodSeconds: ptr.To[int64](5)},
		StartupProbe:  &corev1.Probe{}}
	for _, tc := range []struct {
		name     string
		deletion *int64
		pod      *int64
		reason   Kind
		want     time.Duration
	}{
		{name: "nothing set", reason: NoProbe, want: 2 * time.Second},
		{name: "pod's", pod: ptr.To[int64](30), reason: NoProbe, want: 30 * time.Second},
		{name: "liveness probe's", pod: ptr.To[int64](30), reason: Liveness, want: 5 * time.Second},
		{name: "startup probe without its own", pod: ptr.To[int64](30), reason: Startup, want: 30 * time.Second},
		{name: "deletion wins", deletion: ptr.To[int64](1), pod: ptr.To[int64](30), reason: Liveness, want: time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := testPod(*c)
			pod.DeletionGracePeriodSeconds, pod.Spec.TerminationGracePeriodSeconds = tc.deletion, tc.pod
			if got := KillGracePeriod(pod, c, tc.reason); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
