package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"time"
)

// PhaseResult is one line of a benchmark: what ran, how often, how fast.
// Ops counts successful operations; OpsPerSec is Ops divided by the phase's
// wall-clock Seconds; latency percentiles cover successful operations only.
type PhaseResult struct {
	Phase       string  `json:"phase"`
	Concurrency int     `json:"concurrency"`
	Ops         int     `json:"ops"`
	Errors      int     `json:"errors"`
	Seconds     float64 `json:"seconds"`
	OpsPerSec   float64 `json:"ops_per_sec"`
	Latency
	// Objects is the number of objects each operation returned (lists).
	Objects int `json:"objects,omitempty"`
	// BytesPerOp is the mean response body size (lists; decompressed, in
	// the negotiated content type).
	BytesPerOp int64  `json:"bytes_per_op,omitempty"`
	FirstError string `json:"first_error,omitempty"`
}

// WatchResult describes the watch fan-out phase: Watchers watches receive
// Events writes each; latencies run from the writer's timestamp (taken
// just before sending the write, carried in an annotation) or from the
// moment the write's response arrived, to the moment a watcher decoded the
// event.
type WatchResult struct {
	Watchers          int     `json:"watchers"`
	Events            int     `json:"events"`
	WriteRatePerSec   float64 `json:"write_rate_per_sec"`
	SetupSeconds      float64 `json:"setup_seconds"`
	ExpectedDelivered int     `json:"expected_deliveries"`
	Delivered         int     `json:"delivered"`
	Missing           int     `json:"missing"`
	Unexpected        int     `json:"unexpected"`
	IncompleteWatches int     `json:"incomplete_watchers"`
	WatchErrors       int     `json:"watch_errors"`
	AllArrived        bool    `json:"all_arrived"`
	// FromSend: per delivery, from the writer's send timestamp.
	FromSend Latency `json:"from_send"`
	// FromResponse: per delivery, from the write response (clamped at 0;
	// BeforeResponse counts deliveries that beat the response).
	FromResponse   Latency `json:"from_response"`
	BeforeResponse int     `json:"before_response"`
	// LastDelivery: per write, from send to the last watcher receiving it.
	LastDelivery Latency `json:"last_delivery"`
	FirstError   string  `json:"first_error,omitempty"`
}

// Machine identifies where a benchmark ran; the load average hints at noise
// from other tenants.
type Machine struct {
	NumCPU   int    `json:"nproc"`
	CPUModel string `json:"cpu_model"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	LoadAvg  string `json:"loadavg,omitempty"`
}

// Report is the JSON document a benchmark prints on stdout.
type Report struct {
	Benchmark     string `json:"benchmark"`
	Target        string `json:"target"`
	ServerVersion string `json:"server_version,omitempty"`
	// ObjectBytes is the encoded size of one benchmark pod as stored
	// (etcd benchmark only).
	ObjectBytes int           `json:"object_bytes,omitempty"`
	Started     time.Time     `json:"started"`
	Seconds     float64       `json:"seconds"`
	Machine     Machine       `json:"machine"`
	Settings    any           `json:"settings"`
	Phases      []PhaseResult `json:"phases"`
	Watch       *WatchResult  `json:"watch,omitempty"`
}

// CurrentMachine reads the CPU model and load average from /proc where
// available.
func CurrentMachine() Machine {
	m := Machine{NumCPU: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

// WriteJSON writes r as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteSummary writes a short human-readable table of r.
func (r *Report) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "\n%s benchmark against %s %s (%d CPU, load %s), %.1fs\n",
		r.Benchmark, r.Target, r.ServerVersion, r.Machine.NumCPU, r.Machine.LoadAvg, r.Seconds)
	fmt.Fprintf(w, "%-22s %5s %7s %5s %10s %9s %9s %9s\n", "PHASE", "CONC", "OPS", "ERR", "OPS/S", "P50 ms", "P99 ms", "MAX ms")
	for _, p := range r.Phases {
		name := p.Phase
		if p.Objects > 0 {
			name = fmt.Sprintf("%s[%d]", name, p.Objects)
		}
		fmt.Fprintf(w, "%-22s %5d %7d %5d %10.1f %9.2f %9.2f %9.2f\n",
			name, p.Concurrency, p.Ops, p.Errors, p.OpsPerSec, p.P50, p.P99, p.Max)
		if p.BytesPerOp > 0 {
			fmt.Fprintf(w, "%-22s %s per op\n", "", humanBytes(p.BytesPerOp))
		}
		if p.FirstError != "" {
			fmt.Fprintf(w, "%-22s first error: %s\n", "", p.FirstError)
		}
	}
	if wr := r.Watch; wr != nil {
		fmt.Fprintf(w, "watch fan-out: %d watchers × %d writes at %.0f/s, setup %.2fs: delivered %d/%d (all arrived: %v, missing %d, unexpected %d)\n",
			wr.Watchers, wr.Events, wr.WriteRatePerSec, wr.SetupSeconds, wr.Delivered, wr.ExpectedDelivered, wr.AllArrived, wr.Missing, wr.Unexpected)
		fmt.Fprintf(w, "  from send:      p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms\n", wr.FromSend.P50, wr.FromSend.P90, wr.FromSend.P99, wr.FromSend.Max)
		fmt.Fprintf(w, "  from response:  p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms\n", wr.FromResponse.P50, wr.FromResponse.P90, wr.FromResponse.P99, wr.FromResponse.Max)
		fmt.Fprintf(w, "  last watcher:   p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms\n", wr.LastDelivery.P50, wr.LastDelivery.P90, wr.LastDelivery.P99, wr.LastDelivery.Max)
		if wr.FirstError != "" {
			fmt.Fprintf(w, "  first error: %s\n", wr.FirstError)
		}
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
