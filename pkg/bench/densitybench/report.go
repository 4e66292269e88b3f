package densitybench

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/tinykube/tinykube/pkg/bench"
)

// Report is the JSON document `tinykube bench density` prints: the common
// report (machine, settings, and as phases the bench's own mutating calls
// and the probe's writes) plus the density result.
type Report struct {
	bench.Report
	Density Result `json:"density"`
}

// Result is what a density run measured.
type Result struct {
	Namespace string `json:"namespace"`
	// LoadAvgStart is the load average when the run started; the report's
	// machine.loadavg is taken at the end.
	LoadAvgStart string `json:"loadavg_start"`
	// NodesReady is the number of Ready nodes when pods were created;
	// NodePodCapacity the sum of their allocatable pods.
	NodesReady      int       `json:"nodes_ready"`
	NodePodCapacity int64     `json:"node_pod_capacity"`
	NodeWaitSeconds float64   `json:"node_wait_seconds"`
	Pods            PodResult `json:"pods"`
	// MutatingAPI covers every probe write (ConfigMap creates and
	// updates) during the run; null without a probe.
	MutatingAPI *bench.Latency `json:"mutating_api"`
	// ServerRSS is null unless --server-pid was given.
	ServerRSS *RSS `json:"server_rss"`
	// CleanupSeconds is how long deleting the namespace took (or until
	// the cleanup timeout); NamespaceDeleted says whether it went.
	CleanupSeconds   float64 `json:"cleanup_seconds"`
	NamespaceDeleted bool    `json:"namespace_deleted"`
	FirstError       string  `json:"first_error,omitempty"`
}

// WriteJSON writes r as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteSummary writes the phase table of the common report followed by the
// density figures.
func (r *Report) WriteSummary(w io.Writer) {
	r.Report.WriteSummary(w)
	d := &r.Density
	p := &d.Pods
	fmt.Fprintf(w, "load average at start %s, at end %s\n", d.LoadAvgStart, r.Machine.LoadAvg)
	fmt.Fprintf(w, "density: %d Ready nodes (pod capacity %d, waited %.1fs), %d pods wanted in namespace %s\n",
		d.NodesReady, d.NodePodCapacity, d.NodeWaitSeconds, p.Want, d.Namespace)
	fmt.Fprintf(w, "  seen %d, bound %d, running %d (all running: %v, deleted before running %d)\n",
		p.Seen, p.Bound, p.Running, p.AllUp, p.DeletedBeforeRunning)
	fmt.Fprintf(w, "  all bound after %s, all running after %s\n", seconds(p.SecondsToAllBound), seconds(p.SecondsToAllRunning))
	row := func(name string, l bench.Latency) {
		fmt.Fprintf(w, "  %-24s p50 %9.2f  p90 %9.2f  p99 %9.2f  max %9.2f ms\n", name, l.P50, l.P90, l.P99, l.Max)
	}
	row("startup (watch)", p.Startup)
	row("startup (creationTs)", p.StartupFromCreation)
	row("scheduling", p.Scheduling)
	row("node start", p.NodeStart)
	t := p.Throughput
	fmt.Fprintf(w, "  scheduling throughput    avg %.1f  p50 %.0f  p90 %.0f  max %.0f pods/s\n", t.Avg, t.P50, t.P90, t.Max)
	if d.MutatingAPI != nil {
		row("mutating API (probe)", *d.MutatingAPI)
	} else {
		fmt.Fprintf(w, "  mutating API (probe)     not measured (--probe-rate 0)\n")
	}
	if s := d.ServerRSS; s != nil {
		fmt.Fprintf(w, "  server RSS (pid %d)     start %.0f MiB  peak %.0f MiB  end %.0f MiB (%d samples)\n",
			s.PID, mib(s.StartBytes), mib(s.PeakBytes), mib(s.EndBytes), s.Samples)
	} else {
		fmt.Fprintf(w, "  server RSS               null (no --server-pid)\n")
	}
	fmt.Fprintf(w, "  cleanup %.1fs (namespace deleted: %v)\n", d.CleanupSeconds, d.NamespaceDeleted)
	if d.FirstError != "" {
		fmt.Fprintf(w, "  first error: %s\n", d.FirstError)
	}
}

func seconds(s *float64) string {
	if s == nil {
		return "never"
	}
	return fmt.Sprintf("%.2fs", *s)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
