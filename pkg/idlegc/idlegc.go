package idlegc

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Config configures Run. DefaultConfig gives the defaults.
type Config struct {
	// IdlePercent is the GOGC set while idle; it must be positive and
	// below the busy value.
	IdlePercent int
	// BusyPercent is the GOGC restored when work arrives; 0 means the
	// value in effect when Run starts.
	BusyPercent int
	// Period between two samples of the allocation rate.
	Period time.Duration
	// IdleRate: allocating fewer bytes per second than this is idle.
	IdleRate float64
	// IdleSamples idle samples in a row switch to IdlePercent, so a
	// short pause in a busy period does not.
	IdleSamples int
	Logger      *slog.Logger
	// ReadAllocs returns the bytes allocated since the process started;
	// SetGCPercent sets GOGC; FreeOSMemory collects and returns free heap
	// to the OS. Tests inject them; nil uses runtime/metrics and
	// runtime/debug.
	ReadAllocs   func() uint64
	SetGCPercent func(int) int
	FreeOSMemory func()
}

// DefaultConfig returns the defaults: GOGC 25 once the process has
// allocated under 4 MiB/s for 6 s (three 2 s samples).
func DefaultConfig() Config {
	return Config{IdlePercent: 25, Period: 2 * time.Second, IdleRate: 4 << 20, IdleSamples: 3}
}

// Validate reports a configuration Run would refuse.
func (c Config) Validate() error {
	switch {
	case c.IdlePercent <= 0:
		return errors.New("idlegc: IdlePercent must be positive")
	case c.BusyPercent != 0 && c.BusyPercent <= c.IdlePercent:
		return errors.New("idlegc: BusyPercent must exceed IdlePercent")
	case c.Period <= 0 || c.IdleRate <= 0 || c.IdleSamples <= 0:
		return errors.New("idlegc: Period, IdleRate and IdleSamples must be positive")
	}
	return nil
}

// Run adjusts GOGC until ctx ends, then restores the busy value. It
// returns at once, doing nothing, if GOGC is off or already at or below
// IdlePercent.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ReadAllocs == nil {
		cfg.ReadAllocs = readAllocs
	}
	if cfg.SetGCPercent == nil {
		cfg.SetGCPercent = debug.SetGCPercent
	}
	if cfg.FreeOSMemory == nil {
		cfg.FreeOSMemory = debug.FreeOSMemory
	}
	if cfg.BusyPercent == 0 {
		cfg.BusyPercent = currentGCPercent()
	}
	if cfg.BusyPercent <= cfg.IdlePercent {
		return nil // GOGC off, or already small
	}
	t := newTuner(cfg)
	defer func() {
		if t.idle {
			cfg.SetGCPercent(cfg.BusyPercent)
		}
	}()
	ticker := time.NewTicker(cfg.Period)
	defer ticker.Stop()
	last, lastAt := cfg.ReadAllocs(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-ticker.C:
			allocs := cfg.ReadAllocs()
			if percent, changed := t.observe(allocs-last, now.Sub(lastAt)); changed {
				cfg.SetGCPercent(percent)
				if t.idle {
					// Return at once what the busy period left mapped,
					// rather than at the background scavenger's pace.
					cfg.FreeOSMemory()
				}
				cfg.Logger.Debug("idlegc: GOGC changed", "gogc", percent, "idle", t.idle)
			}
			last, lastAt = allocs, now
		}
	}
}

// tuner is Run's state machine, apart from clocks and the runtime.
type tuner struct {
	cfg      Config
	idle     bool
	quietRun int // idle samples in a row
}

func newTuner(cfg Config) *tuner { return &tuner{cfg: cfg} }

// observe takes one sample (bytes allocated over elapsed) and returns
// the GOGC to set when it changes.
func (t *tuner) observe(allocated uint64, elapsed time.Duration) (percent int, changed bool) {
	if elapsed <= 0 {
		return 0, false
	}
	rate := float64(allocated) / elapsed.Seconds()
	if rate >= t.cfg.IdleRate {
		t.quietRun = 0
		if t.idle {
			t.idle = false
			return t.cfg.BusyPercent, true
		}
		return 0, false
	}
	t.quietRun++
	if !t.idle && t.quietRun >= t.cfg.IdleSamples {
		t.idle = true
		return t.cfg.IdlePercent, true
	}
	return 0, false
}

// readAllocs is the bytes allocated on the heap since the process started.
func readAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// currentGCPercent is GOGC now (negative when off).
func currentGCPercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 100
	}
	v := s[0].Value.Uint64()
	if v > 1<<30 {
		return -1
	}
	return int(v)
}
