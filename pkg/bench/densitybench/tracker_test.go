package densitybench

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// podAt is a pod in one of the states the watch can show.
func podAt(uid string, created time.Time, node string, running, ready bool) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: uid, UID: types.UID(uid), CreationTimestamp: metav1.NewTime(created)}}
	p.Spec.NodeName = node
	p.Status.Phase = corev1.PodPending
	if running {
		p.Status.Phase = corev1.PodRunning
	}
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}
	return p
}

func TestTrackerLatencies(t *testing.T) {
	base := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	created := base // whole second, like the API server's

	tr := newTracker(3)
	// pod a: seen at 100 ms, bound at 300, Running but not Ready at 500,
	// Ready at 700.
	tr.observe(podAt("a", created, "", false, false), false, at(100))
	tr.observe(podAt("a", created, "n1", false, false), false, at(300))
	tr.observe(podAt("a", created, "n1", true, false), false, at(500))
	tr.observe(podAt("a", created, "n1", true, true), false, at(700))
	// a later event for a must not move its times.
	tr.observe(podAt("a", created, "n1", true, true), false, at(5000))
	// pod b: first seen already bound at 200, Running and Ready at 1200.
	tr.observe(podAt("b", created, "n2", false, false), false, at(200))
	tr.observe(podAt("b", created, "n2", true, true), false, at(1200))
	// pod c: seen, then deleted before it ran.
	tr.observe(podAt("c", created, "", false, false), false, at(250))
	tr.observe(podAt("c", created, "", false, false), true, at(400))

	select {
	case <-tr.Done():
		t.Fatal("Done closed with 2 of 3 pods Running")
	default:
	}
	// pod d: the replacement, Running at 2100.
	tr.observe(podAt("d", created, "", false, false), false, at(1100))
	tr.observe(podAt("d", created, "n3", false, false), false, at(1600))
	tr.observe(podAt("d", created, "n3", true, true), false, at(2100))
	select {
	case <-tr.Done():
	default:
		t.Fatal("Done not closed with 3 of 3 pods Running")
	}

	r := tr.summarize(at(0))
	if r.Seen != 4 || r.Bound != 3 || r.Running != 3 || !r.AllUp || r.DeletedBeforeRunning != 1 {
		t.Errorf("counts = seen %d bound %d running %d all %v deleted %d, want 4 3 3 true 1",
			r.Seen, r.Bound, r.Running, r.AllUp, r.DeletedBeforeRunning)
	}
	if r.SecondsToAllRunning == nil || *r.SecondsToAllRunning != 2.1 {
		t.Errorf("SecondsToAllRunning = %v, want 2.1", seconds(r.SecondsToAllRunning))
	}
	if r.SecondsToAllBound == nil || *r.SecondsToAllBound != 1.6 {
		t.Errorf("SecondsToAllBound = %v, want 1.6", seconds(r.SecondsToAllBound))
	}
	// startup: a 600, b 1000, d 1000 ms.
	if r.Startup.P50 != 1000 || r.Startup.Max != 1000 || r.Startup.Mean != 866.667 {
		t.Errorf("Startup = %+v, want p50 1000 max 1000 mean 866.667", r.Startup)
	}
	// from creation (base): a 700, b 1200, d 2100 ms.
	if r.StartupFromCreation.P50 != 1200 || r.StartupFromCreation.Max != 2100 {
		t.Errorf("StartupFromCreation = %+v, want p50 1200 max 2100", r.StartupFromCreation)
	}
	// scheduling: a 200, b 0, d 500; node start: a 400, b 1000, d 500.
	if r.Scheduling.P50 != 200 || r.Scheduling.Max != 500 {
		t.Errorf("Scheduling = %+v, want p50 200 max 500", r.Scheduling)
	}
	if r.NodeStart.P50 != 500 || r.NodeStart.Max != 1000 {
		t.Errorf("NodeStart = %+v, want p50 500 max 1000", r.NodeStart)
	}
	// 3 binds between first seen (100 ms) and the last bind (1600 ms):
	// 2 pods/s; buckets [100,1100) = 2 binds, [1100,1600] = 1.
	want := Throughput{Avg: 2, P50: 1, P90: 2, Max: 2}
	if r.Throughput != want {
		t.Errorf("Throughput = %+v, want %+v", r.Throughput, want)
	}
}

func TestTrackerIncomplete(t *testing.T) {
	base := time.Now()
	tr := newTracker(2)
	tr.observe(podAt("a", base, "", false, false), false, base)
	r := tr.summarize(base)
	if r.AllUp || r.SecondsToAllRunning != nil || r.SecondsToAllBound != nil {
		t.Errorf("incomplete run reported as done: %+v", r)
	}
	if r.Throughput != (Throughput{}) {
		t.Errorf("Throughput without binds = %+v, want zero", r.Throughput)
	}
}

func TestReplicasFor(t *testing.T) {
	for _, tt := range []struct{ pods, deployments int }{{30, 3}, {3000, 10}, {31, 3}, {7, 7}, {100, 7}} {
		total := 0
		lo, hi := int32(1<<30), int32(0)
		for i := range tt.deployments {
			n := replicasFor(tt.pods, tt.deployments, i)
			total += int(n)
			lo, hi = min(lo, n), max(hi, n)
		}
		if total != tt.pods || hi-lo > 1 {
			t.Errorf("replicasFor(%d, %d): total %d, spread %d..%d", tt.pods, tt.deployments, total, lo, hi)
		}
	}
}

func TestParseVmRSS(t *testing.T) {
	status := "Name:\ttinykube\nVmPeak:\t 2000000 kB\nVmRSS:\t  123456 kB\nThreads:\t20\n"
	got, err := parseVmRSS(strings.NewReader(status))
	if err != nil || got != 123456*1024 {
		t.Errorf("parseVmRSS = %d, %v; want %d", got, err, 123456*1024)
	}
	if _, err := parseVmRSS(strings.NewReader("Name:\tkthreadd\n")); err == nil {
		t.Error("parseVmRSS without a VmRSS line: no error")
	}
}
