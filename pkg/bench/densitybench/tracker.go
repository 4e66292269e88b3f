package densitybench

import (
	"math"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tinykube/tinykube/pkg/bench"
)

// podTimes is what the watch learned about one pod, each time taken when
// the event was in the client's hands.
type podTimes struct {
	created   time.Time // metadata.creationTimestamp: server clock, 1 s resolution
	firstSeen time.Time // first event for the pod
	bound     time.Time // first event with spec.nodeName set
	running   time.Time // first event with phase Running and Ready=True
}

// tracker keeps the lifecycle times of every pod of the run. The watch
// goroutine calls observe; others may read counts and Done concurrently.
type tracker struct {
	want int

	mu           sync.Mutex
	pods         map[types.UID]*podTimes
	bound        int
	running      int
	allBoundAt   time.Time // when the want-th pod was seen bound
	allRunningAt time.Time // when the want-th pod was seen Running and Ready
	done         chan struct{}
	deletedEarly int // pods deleted before they were seen Running
	relists      int // times the watch had to re-list (410)
}

func newTracker(want int) *tracker {
	return &tracker{want: want, pods: make(map[types.UID]*podTimes, want), done: make(chan struct{})}
}

// observe records one watch event about pod received at at. Times only
// ever move from unset to set: the first event showing a state counts.
func (t *tracker) observe(pod *corev1.Pod, deleted bool, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.pods[pod.UID]
	if !ok {
		p = &podTimes{created: pod.CreationTimestamp.Time, firstSeen: at}
		t.pods[pod.UID] = p
	}
	if deleted {
		if p.running.IsZero() {
			t.deletedEarly++
		}
		return
	}
	if p.bound.IsZero() && pod.Spec.NodeName != "" {
		p.bound = at
		t.bound++
		if t.bound == t.want {
			t.allBoundAt = at
		}
	}
	if p.running.IsZero() && runningAndReady(pod) {
		p.running = at
		if p.bound.IsZero() { // cannot run unbound; keep the bookkeeping sane
			p.bound = at
			t.bound++
		}
		t.running++
		if t.running == t.want {
			t.allRunningAt = at
			close(t.done)
		}
	}
}

// relisted counts a re-list of the pod watch.
func (t *tracker) relisted() {
	t.mu.Lock()
	t.relists++
	t.mu.Unlock()
}

// Done is closed once want pods have been seen Running and Ready.
func (t *tracker) Done() <-chan struct{} { return t.done }

// counts returns how many pods were seen, bound and Running so far.
func (t *tracker) counts() (seen, bound, running int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pods), t.bound, t.running
}

func runningAndReady(pod *corev1.Pod) bool {
	if pod.Status.Phase != corev1.PodRunning || pod.DeletionTimestamp != nil {
		return false
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// PodResult is what the watch saw of the run's pods. Latencies cover the
// pods that reached the later state; SecondsTo* run from the moment the
// first Deployment create was sent.
type PodResult struct {
	Want    int  `json:"want"`
	Seen    int  `json:"seen"`
	Bound   int  `json:"bound"`
	Running int  `json:"running"`
	AllUp   bool `json:"all_running"`
	// DeletedBeforeRunning counts pods deleted before they ran (evictions,
	// ReplicaSet scale-down); they have no startup latency.
	DeletedBeforeRunning int `json:"deleted_before_running"`
	// WatchRelists counts re-lists after the server answered the pod
	// watch's resume with 410 Expired (pods observed late at a re-list).
	WatchRelists int `json:"watch_relists"`
	// SecondsToAllBound and SecondsToAllRunning are null when the run
	// ended before Want pods got there.
	SecondsToAllBound   *float64 `json:"seconds_to_all_bound"`
	SecondsToAllRunning *float64 `json:"seconds_to_all_running"`
	// Startup: from the watch's first event for a pod to the event showing
	// it Running with Ready=True.
	Startup bench.Latency `json:"startup"`
	// StartupFromCreation: from metadata.creationTimestamp (server clock,
	// whole seconds, so up to 1 s too long) to Running and Ready; the
	// definition upstream's density tests use.
	StartupFromCreation bench.Latency `json:"startup_from_creation"`
	// Scheduling: first seen → bound; NodeStart: bound → Running and Ready.
	Scheduling bench.Latency `json:"scheduling"`
	NodeStart  bench.Latency `json:"node_start"`
	// Throughput is pods bound per second.
	Throughput Throughput `json:"scheduling_throughput"`
}

// Throughput is the scheduler's rate as the watch saw bindings.
type Throughput struct {
	// Avg is bound pods over the time from the first pod seen to the last
	// pod bound.
	Avg float64 `json:"avg_pods_per_sec"`
	// P50, P90 and Max are over one-second buckets of that interval.
	P50 float64 `json:"p50_pods_per_sec"`
	P90 float64 `json:"p90_pods_per_sec"`
	Max float64 `json:"max_pods_per_sec"`
}

// summarize computes the result; start is when the first create was sent.
func (t *tracker) summarize(start time.Time) PodResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := PodResult{Want: t.want, Seen: len(t.pods), Bound: t.bound, Running: t.running, DeletedBeforeRunning: t.deletedEarly, WatchRelists: t.relists}
	r.AllUp = t.running >= t.want
	if !t.allBoundAt.IsZero() {
		r.SecondsToAllBound = secondsPtr(t.allBoundAt.Sub(start))
	}
	if !t.allRunningAt.IsZero() {
		r.SecondsToAllRunning = secondsPtr(t.allRunningAt.Sub(start))
	}
	var startup, fromCreation, sched, nodeStart []time.Duration
	var firstSeen, lastBound time.Time
	var binds []time.Time
	for _, p := range t.pods {
		if firstSeen.IsZero() || p.firstSeen.Before(firstSeen) {
			firstSeen = p.firstSeen
		}
		if !p.bound.IsZero() {
			sched = append(sched, p.bound.Sub(p.firstSeen))
			binds = append(binds, p.bound)
			if p.bound.After(lastBound) {
				lastBound = p.bound
			}
		}
		if !p.running.IsZero() {
			startup = append(startup, p.running.Sub(p.firstSeen))
			fromCreation = append(fromCreation, max(0, p.running.Sub(p.created)))
			nodeStart = append(nodeStart, p.running.Sub(p.bound))
		}
	}
	r.Startup = bench.Summarize(startup)
	r.StartupFromCreation = bench.Summarize(fromCreation)
	r.Scheduling = bench.Summarize(sched)
	r.NodeStart = bench.Summarize(nodeStart)
	r.Throughput = throughput(firstSeen, lastBound, binds)
	return r
}

// throughput turns bind times into rates over [from, to]: the average, and
// percentiles of the per-second counts (every second of the interval, the
// last one partial).
func throughput(from, to time.Time, binds []time.Time) Throughput {
	if len(binds) == 0 || !to.After(from) {
		return Throughput{}
	}
	buckets := make([]int, int(to.Sub(from)/time.Second)+1)
	for _, b := range binds {
		buckets[int(b.Sub(from)/time.Second)]++
	}
	// bench.Percentile works on durations; a count n is carried as n ns.
	counts := make([]time.Duration, len(buckets))
	for i, n := range buckets {
		counts[i] = time.Duration(n)
	}
	slices.Sort(counts)
	return Throughput{
		Avg: round3(float64(len(binds)) / to.Sub(from).Seconds()),
		P50: float64(bench.Percentile(counts, 50)),
		P90: float64(bench.Percentile(counts, 90)),
		Max: float64(counts[len(counts)-1]),
	}
}

func secondsPtr(d time.Duration) *float64 {
	s := round3(d.Seconds())
	return &s
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
