package bench

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ten := make([]time.Duration, 10)
	for i := range ten {
		ten[i] = time.Duration(i+1) * time.Millisecond // 1ms..10ms
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond // 1ms..100ms
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"single p50", []time.Duration{7}, 50, 7},
		{"single p99", []time.Duration{7}, 99, 7},
		{"ten p50", ten, 50, 5 * time.Millisecond},
		{"ten p90", ten, 90, 9 * time.Millisecond},
		{"ten p99", ten, 99, 10 * time.Millisecond},
		{"ten p0 is min", ten, 0, 1 * time.Millisecond},
		{"ten p100 is max", ten, 100, 10 * time.Millisecond},
		{"hundred p50", hundred, 50, 50 * time.Millisecond},
		{"hundred p90", hundred, 90, 90 * time.Millisecond},
		{"hundred p99", hundred, 99, 99 * time.Millisecond},
		{"hundred p99.9", hundred, 99.9, 100 * time.Millisecond},
		{"two p50 is lower", []time.Duration{1, 2}, 50, 1},
		{"two p51 is upper", []time.Duration{1, 2}, 51, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	// Unsorted input: Summarize must sort it.
	samples := []time.Duration{
		4 * time.Millisecond, 1 * time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond,
		1500 * time.Microsecond,
	}
	got := Summarize(samples)
	want := Latency{P50: 2, P90: 4, P99: 4, Max: 4, Mean: 2.3}
	if got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	if (Summarize(nil) != Latency{}) {
		t.Errorf("Summarize(nil) should be zero")
	}
}

func TestRecorderMerge(t *testing.T) {
	r := newRecorder(3)
	r.add(0, 3*time.Millisecond)
	r.add(2, 1*time.Millisecond)
	r.add(2, 2*time.Millisecond)
	all := r.merged()
	if len(all) != 3 {
		t.Fatalf("merged %d samples, want 3", len(all))
	}
	if l := Summarize(all); l.P50 != 2 || l.Max != 3 {
		t.Errorf("Summarize(merged) = %+v", l)
	}
}
