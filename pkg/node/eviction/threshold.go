package eviction

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Signal names one eviction signal, as the kubelet spells it.
type Signal string

// The signals a node observes.
const (
	SignalMemoryAvailable   Signal = "memory.available"
	SignalNodeFsAvailable   Signal = "nodefs.available"
	SignalNodeFsInodesFree  Signal = "nodefs.inodesFree"
	SignalImageFsAvailable  Signal = "imagefs.available"
	SignalImageFsInodesFree Signal = "imagefs.inodesFree"
	SignalPIDAvailable      Signal = "pid.available"
)

var knownSignals = map[Signal]bool{
	SignalMemoryAvailable: true, SignalNodeFsAvailable: true, SignalNodeFsInodesFree: true,
	SignalImageFsAvailable: true, SignalImageFsInodesFree: true, SignalPIDAvailable: true,
}

// Threshold is "Signal < value": met when the signal's available amount
// falls below Quantity, or below Percentage of its capacity.
type Threshold struct {
	Signal Signal
	// Exactly one of Quantity (bytes, inodes or PIDs) and Percentage
	// (0 < p <= 100) is set.
	Quantity   *resource.Quantity
	Percentage float64
}

// String is the threshold in --eviction-hard syntax.
func (t Threshold) String() string {
	if t.Quantity != nil {
		return string(t.Signal) + "<" + t.Quantity.String()
	}
	return string(t.Signal) + "<" + strconv.FormatFloat(t.Percentage, 'f', -1, 64) + "%"
}

// DefaultHard is the kubelet's default --eviction-hard on Linux.
const DefaultHard = "memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%,imagefs.inodesFree<5%"

// ParseThresholds parses the kubelet's --eviction-hard syntax: a comma
// separated list of <signal><<value>, the value a quantity
// ("100Mi", "1000") or a percentage of the capacity ("10%"). A zero
// value ("0", "0%") turns the signal's threshold off. An empty string
// is no thresholds.
func ParseThresholds(s string) ([]Threshold, error) {
	var out []Threshold
	seen := map[Signal]bool{}
	for _, expr := range strings.Split(s, ",") {
		expr = strings.TrimSpace(expr)
		if expr == "" {
			continue
		}
		name, value, ok := strings.Cut(expr, "<")
		if !ok || name == "" || value == "" {
			return nil, fmt.Errorf("invalid eviction threshold syntax %q, expected <signal><<value> (e.g. memory.available<100Mi)", expr)
		}
		sig := Signal(strings.TrimSpace(name))
		if !knownSignals[sig] {
			return nil, fmt.Errorf("unsupported eviction signal %q (known: %s)", sig, strings.Join(signalNames(), ", "))
		}
		if seen[sig] {
			return nil, fmt.Errorf("eviction threshold for %s given twice", sig)
		}
		seen[sig] = true
		value = strings.TrimSpace(value)
		t := Threshold{Signal: sig}
		if p, ok := strings.CutSuffix(value, "%"); ok {
			pct, err := strconv.ParseFloat(p, 64)
			if err != nil {
				return nil, fmt.Errorf("eviction threshold %s: invalid percentage %q", sig, value)
			}
			if pct < 0 || pct > 100 {
				return nil, fmt.Errorf("eviction percentage threshold %s must be >= 0%% and <= 100%%: %s", sig, value)
			}
			if pct == 0 {
				t.Quantity = resource.NewQuantity(0, resource.DecimalSI)
			} else {
				t.Percentage = pct
			}
		} else {
			q, err := resource.ParseQuantity(value)
			if err != nil {
				return nil, fmt.Errorf("eviction threshold %s: %w", sig, err)
			}
			if q.Sign() < 0 {
				return nil, fmt.Errorf("eviction threshold %s must be positive: %s", sig, value)
			}
			t.Quantity = &q
		}
		out = append(out, t)
	}
	return out, nil
}

// MergeDefaults is set with every signal it does not name taken from
// defaults, as the kubelet merges a partial --eviction-hard with its
// defaults; thresholds turned off (zero) are dropped.
func MergeDefaults(set, defaults []Threshold) []Threshold {
	named := map[Signal]bool{}
	var out []Threshold
	for _, t := range set {
		named[t.Signal] = true
		if !t.off() {
			out = append(out, t)
		}
	}
	for _, t := range defaults {
		if !named[t.Signal] && !t.off() {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Signal < out[j].Signal })
	return out
}

func (t Threshold) off() bool { return t.Quantity != nil && t.Quantity.Sign() == 0 }

// Hard parses flag (--eviction-hard) merged with DefaultHard.
func Hard(flag string) ([]Threshold, error) {
	set, err := ParseThresholds(flag)
	if err != nil {
		return nil, fmt.Errorf("--eviction-hard: %w", err)
	}
	defaults, err := ParseThresholds(DefaultHard)
	if err != nil {
		panic(err) // a broken constant
	}
	return MergeDefaults(set, defaults), nil
}

func signalNames() []string {
	var names []string
	for s := range knownSignals {
		names = append(names, string(s))
	}
	sort.Strings(names)
	return names
}
