package idlegc

import (
	"testing"
	"time"
)

func TestTunerSwitchesAfterIdleSamplesAndBackAtOnce(t *testing.T) {
	cfg := Config{IdlePercent: 25, BusyPercent: 100, Period: time.Second, IdleRate: 1000, IdleSamples: 3}
	type step struct {
		allocated   uint64 // over one second
		wantPercent int    // 0: no change
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"idle after three quiet samples", []step{{10, 0}, {10, 0}, {10, 25}, {10, 0}}},
		{"a busy sample resets the count", []step{{10, 0}, {10, 0}, {5000, 0}, {10, 0}, {10, 0}, {10, 25}}},
		{"busy again at the first busy sample", []step{{0, 0}, {0, 0}, {0, 25}, {999, 0}, {1000, 100}, {0, 0}}},
		{"never idle under load", []step{{2000, 0}, {3000, 0}, {1000, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tu := newTuner(cfg)
			for i, s := range tc.steps {
				got, changed := tu.observe(s.allocated, time.Second)
				if !changed {
					got = 0
				}
				if got != s.wantPercent {
					t.Fatalf("step %d (%d B/s): GOGC change %d, want %d", i, s.allocated, got, s.wantPercent)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"defaults", func(*Config) {}, true},
		{"idle percent zero", func(c *Config) { c.IdlePercent = 0 }, false},
		{"busy not above idle", func(c *Config) { c.BusyPercent = 25 }, false},
		{"no period", func(c *Config) { c.Period = 0 }, false},
	} {
		c := DefaultConfig()
		tc.edit(&c)
		if err := c.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
