package eviction

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// DefaultTransitionPeriod is the kubelet's default
// --eviction-pressure-transition-period: how long a condition stays True
// after its signals last crossed their thresholds.
const DefaultTransitionPeriod = 5 * time.Minute

// Met reports whether the threshold is crossed: the signal's available
// amount is below its value (a percentage taken of the capacity). An
// unobserved signal never meets a threshold.
func (t Threshold) Met(obs Observations) bool {
	o, ok := obs[t.Signal]
	if !ok {
		return false
	}
	if t.Quantity != nil {
		return o.Available < t.Quantity.Value()
	}
	return float64(o.Available) < float64(o.Capacity)*t.Percentage/100
}

// Condition is one node condition the thresholds decide, with the
// kubelet's reason and message.
type Condition struct {
	Type            corev1.NodeConditionType
	Status          corev1.ConditionStatus
	Reason, Message string
}

// conditionOf is which node condition a signal's thresholds drive.
var conditionOf = map[Signal]corev1.NodeConditionType{
	SignalMemoryAvailable:   corev1.NodeMemoryPressure,
	SignalNodeFsAvailable:   corev1.NodeDiskPressure,
	SignalNodeFsInodesFree:  corev1.NodeDiskPressure,
	SignalImageFsAvailable:  corev1.NodeDiskPressure,
	SignalImageFsInodesFree: corev1.NodeDiskPressure,
	SignalPIDAvailable:      corev1.NodePIDPressure,
}

// The kubelet's reasons and messages for each condition: [false, true].
var texts = map[corev1.NodeConditionType][2][2]string{
	corev1.NodeMemoryPressure: {
		{"KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
		{"KubeletHasInsufficientMemory", "kubelet has insufficient memory available"},
	},
	corev1.NodeDiskPressure: {
		{"KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
		{"KubeletHasDiskPressure", "kubelet has disk pressure"},
	},
	corev1.NodePIDPressure: {
		{"KubeletHasSufficientPID", "kubelet has sufficient PID available"},
		{"KubeletHasInsufficientPID", "kubelet has insufficient PID available"},
	},
}

// The kubelet's Normal events on the Node when a condition is first
// reported or changes: [false, true].
var eventReasons = map[corev1.NodeConditionType][2]string{
	corev1.NodeMemoryPressure: {"NodeHasSufficientMemory", "NodeHasInsufficientMemory"},
	corev1.NodeDiskPressure:   {"NodeHasNoDiskPressure", "NodeHasDiskPressure"},
	corev1.NodePIDPressure:    {"NodeHasSufficientPID", "NodeHasInsufficientPID"},
}

// EventReason is the reason of the kubelet's Normal event on the Node
// when c is reported (first, or changed), e.g. NodeHasSufficientMemory;
// its message is "Node NAME status is now: REASON".
func (c Condition) EventReason() string {
	i := 0
	if c.Status == corev1.ConditionTrue {
		i = 1
	}
	return eventReasons[c.Type][i]
}

// Tracker turns observations into the three pressure conditions,
// remembering when each was last under pressure so that it stays True
// for the transition period after, as the kubelet's eviction manager
// does. Safe for concurrent use.
type Tracker struct {
	thresholds []Threshold
	period     time.Duration

	mu      sync.Mutex
	lastMet map[corev1.NodeConditionType]time.Time
	// met lists the thresholds crossed at the last observation.
	met []Threshold
}

// NewTracker tracks thresholds with the given transition period.
func NewTracker(thresholds []Threshold, period time.Duration) *Tracker {
	return &Tracker{thresholds: thresholds, period: period, lastMet: map[corev1.NodeConditionType]time.Time{}}
}

// Observe records the signals observed at now and returns the
// MemoryPressure, DiskPressure and PIDPressure conditions, in that
// order.
func (t *Tracker) Observe(obs Observations, now time.Time) []Condition {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.met = t.met[:0]
	for _, th := range t.thresholds {
		if th.Met(obs) {
			t.met = append(t.met, th)
			t.lastMet[conditionOf[th.Signal]] = now
		}
	}
	var out []Condition
	for _, ct := range []corev1.NodeConditionType{corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure} {
		pressure := 0
		if last, ok := t.lastMet[ct]; ok && !now.After(last.Add(t.period)) {
			pressure = 1
		}
		txt := texts[ct][pressure]
		c := Condition{Type: ct, Status: corev1.ConditionFalse, Reason: txt[0], Message: txt[1]}
		if pressure == 1 {
			c.Status = corev1.ConditionTrue
		}
		out = append(out, c)
	}
	return out
}

// Met is the thresholds crossed at the last observation (for logs).
func (t *Tracker) Met() []Threshold {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Threshold(nil), t.met...)
}
