package densitybench

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/pkg/bench"
)

// probe writes ConfigMaps at a fixed rate while the pods start: even ticks
// create a new ConfigMap, odd ticks update the one just created. Its
// latencies are what any other client of the API server experiences during
// the run. It has a client (and connection) of its own.
type probe struct {
	client kubernetes.Interface
	ns     string
	runID  string
	rate   float64
}

// probeResult holds the probe's two phases.
type probeResult struct {
	create, update bench.PhaseResult
	all            []time.Duration
}

// run writes until ctx ends. A write in flight when ctx ends is abandoned
// and not counted.
func (p *probe) run(ctx context.Context) probeResult {
	var (
		creates, updates []time.Duration
		cErrs, uErrs     int
		cFirst, uFirst   string
		last             *corev1.ConfigMap
	)
	start := time.Now()
	ticker := time.NewTicker(time.Duration(float64(time.Second) / p.rate))
	defer ticker.Stop()
	cms := p.client.CoreV1().ConfigMaps(p.ns)
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			elapsed := time.Since(start)
			all := append(append([]time.Duration(nil), creates...), updates...)
			return probeResult{
				create: probePhase("probe-configmap-create", creates, cErrs, cFirst, elapsed),
				update: probePhase("probe-configmap-update", updates, uErrs, uFirst, elapsed),
				all:    all,
			}
		case <-ticker.C:
		}
		t0 := time.Now()
		if i%2 == 0 || last == nil {
			cm := &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{
					Name:   fmt.Sprintf("probe-%06d", i/2),
					Labels: map[string]string{bench.LabelRun: p.runID, bench.LabelPhase: "probe"},
				},
				Data: map[string]string{"n": fmt.Sprint(i)},
			}
			out, err := cms.Create(ctx, cm, metav1.CreateOptions{})
			switch {
			case ctx.Err() != nil:
			case err != nil:
				cErrs++
				if cFirst == "" {
					cFirst = err.Error()
				}
			default:
				creates = append(creates, time.Since(t0))
				last = out
			}
			continue
		}
		cm := last.DeepCopy()
		cm.Data["n"] = fmt.Sprint(i)
		out, err := cms.Update(ctx, cm, metav1.UpdateOptions{})
		switch {
		case ctx.Err() != nil:
		case err != nil:
			uErrs++
			if uFirst == "" {
				uFirst = err.Error()
			}
		default:
			updates = append(updates, time.Since(t0))
			last = out
		}
	}
}

func probePhase(name string, samples []time.Duration, errs int, firstErr string, elapsed time.Duration) bench.PhaseResult {
	r := bench.PhaseResult{
		Phase:       name,
		Concurrency: 1,
		Ops:         len(samples),
		Errors:      errs,
		Seconds:     round3(elapsed.Seconds()),
		FirstError:  firstErr,
	}
	if elapsed > 0 {
		r.OpsPerSec = round3(float64(len(samples)) / elapsed.Seconds())
	}
	r.Latency = bench.Summarize(samples)
	return r
}
