package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Phase describes one timed phase: Concurrency workers share the operation
// indices 0, 1, 2, … and stop after Count operations or, when Duration > 0,
// when Duration has elapsed (Count is then ignored, unless Duration is zero).
type Phase struct {
	Name        string
	Concurrency int
	Count       int
	Duration    time.Duration
}

// Op performs operation number index on behalf of worker (0 ≤ worker <
// Concurrency). Each index is handed to exactly one worker, in increasing
// order per worker; a worker calls Op sequentially, so per-worker state
// indexed by worker needs no locking.
type Op func(ctx context.Context, worker, index int) error

// Run executes p with op and returns its result. Failed operations are
// counted, not retried; their latency is not part of the percentiles. Run
// stops early when ctx is cancelled.
func Run(ctx context.Context, p Phase, op Op) PhaseResult {
	if p.Concurrency < 1 {
		p.Concurrency = 1
	}
	var (
		next     atomic.Int64
		errs     atomic.Int64
		firstErr atomic.Value
		rec      = newRecorder(p.Concurrency)
		wg       sync.WaitGroup
		deadline time.Time
	)
	start := time.Now()
	if p.Duration > 0 {
		deadline = start.Add(p.Duration)
	}
	for w := 0; w < p.Concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if deadline.IsZero() && i >= p.Count {
					return
				}
				t0 := time.Now()
				if !deadline.IsZero() && !t0.Before(deadline) {
					return
				}
				if err := op(ctx, w, i); err != nil {
					if errs.Add(1) == 1 {
						firstErr.Store(fmt.Sprintf("op %d: %v", i, err))
					}
					continue
				}
				rec.add(w, time.Since(t0))
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	samples := rec.merged()
	r := PhaseResult{
		Phase:       p.Name,
		Concurrency: p.Concurrency,
		Ops:         len(samples),
		Errors:      int(errs.Load()),
		Seconds:     round3(elapsed.Seconds()),
		Latency:     Summarize(samples),
	}
	if elapsed > 0 {
		r.OpsPerSec = round3(float64(r.Ops) / elapsed.Seconds())
	}
	if s, ok := firstErr.Load().(string); ok {
		r.FirstError = s
	}
	return r
}

// recorder collects latency samples per worker so that workers never
// contend on a lock; merged concatenates them once the phase is over.
type recorder struct {
	perWorker [][]time.Duration
}

func newRecorder(workers int) *recorder {
	return &recorder{perWorker: make([][]time.Duration, workers)}
}

// add records a sample for worker; only that worker may call it.
func (r *recorder) add(worker int, d time.Duration) {
	r.perWorker[worker] = append(r.perWorker[worker], d)
}

// merged returns every sample; call it only after all workers are done.
func (r *recorder) merged() []time.Duration {
	n := 0
	for _, s := range r.perWorker {
		n += len(s)
	}
	all := make([]time.Duration, 0, n)
	for _, s := range r.perWorker {
		all = append(all, s...)
	}
	return all
}
