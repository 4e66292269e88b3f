package densitybench_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/bench/densitybench"
	nodecmd "github.com/tinykube/tinykube/pkg/cmd/node"
	"github.com/tinykube/tinykube/pkg/controllermanager"
	"github.com/tinykube/tinykube/pkg/scheduler"
)

// TestDensitySmall runs a tiny density run — 3 simulated nodes, 30 pods in
// 3 Deployments — against an in-process tinykube server with its
// controller manager, scheduler and simulated nodes, as `tinykube server
// --simulated-nodes 3` runs them, and checks the report is complete.
func TestDensitySmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server with controllers, scheduler and nodes")
	}
	s := testserver.Start(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	cm := controllermanager.DefaultConfig()
	cm.RESTConfig, cm.RootCA, cm.Logger, cm.LeaderElect = s.RESTConfig, s.RESTConfig.CAData, quiet, false
	sc := scheduler.DefaultConfig()
	sc.RESTConfig, sc.Logger, sc.LeaderElect = s.RESTConfig, quiet, false
	nc := nodecmd.DefaultFlags().Config
	nc.Count, nc.Logger = 3, quiet
	done := make(chan struct{}, 3)
	runBg := func(name string, f func() error) {
		go func() {
			defer func() { done <- struct{}{} }()
			if err := f(); err != nil && ctx.Err() == nil {
				t.Errorf("%s: %v", name, err)
			}
		}()
	}
	runBg("controller-manager", func() error { return controllermanager.Run(ctx, cm) })
	runBg("scheduler", func() error { return scheduler.Run(ctx, sc) })
	runBg("simulated nodes", func() error { return nodecmd.Run(ctx, s.RESTConfig, nc) })
	t.Cleanup(func() {
		cancel()
		for range 3 {
			<-done
		}
	})

	cfg := densitybench.DefaultConfig()
	cfg.RESTConfig, cfg.Target = s.RESTConfig, s.RESTConfig.Host
	cfg.Nodes, cfg.Pods, cfg.Deployments = 3, 30, 3
	cfg.ServerPID = os.Getpid() // the server runs in this process
	cfg.RSSInterval = 100 * time.Millisecond
	cfg.ProbeRate = 50
	cfg.NodeTimeout, cfg.Timeout, cfg.CleanupTimeout = time.Minute, time.Minute, time.Minute
	if testing.Verbose() {
		cfg.Log = os.Stderr
	}
	report, err := densitybench.Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if testing.Verbose() {
		report.WriteSummary(os.Stderr)
	}

	d := report.Density
	p := d.Pods
	if d.NodesReady < 3 {
		t.Errorf("NodesReady = %d, want ≥ 3", d.NodesReady)
	}
	if !p.AllUp || p.Running != 30 || p.Bound < 30 || p.SecondsToAllRunning == nil || p.SecondsToAllBound == nil {
		t.Errorf("pods: %+v, want all 30 bound and Running", p)
	}
	if p.Startup.P50 <= 0 || p.Startup.P99 < p.Startup.P50 || p.Startup.Max < p.Startup.P99 {
		t.Errorf("Startup = %+v, want 0 < p50 ≤ p99 ≤ max", p.Startup)
	}
	if p.Throughput.Avg <= 0 || p.Throughput.Max < 1 {
		t.Errorf("Throughput = %+v, want > 0", p.Throughput)
	}
	if d.MutatingAPI == nil || d.MutatingAPI.P50 <= 0 {
		t.Errorf("MutatingAPI = %+v, want probe latencies", d.MutatingAPI)
	}
	if r := d.ServerRSS; r == nil || r.StartBytes <= 0 || r.PeakBytes < r.StartBytes || r.Samples < 2 {
		t.Errorf("ServerRSS = %+v, want samples of this process", r)
	}
	phases := map[string]int{}
	for _, ph := range report.Phases {
		if ph.Errors > 0 {
			t.Errorf("phase %s: %d errors, first: %s", ph.Phase, ph.Errors, ph.FirstError)
		}
		phases[ph.Phase] = ph.Ops
	}
	if phases["create-deployments"] != 3 || phases["probe-configmap-create"] < 1 {
		t.Errorf("phases = %v, want 3 Deployment creates and some probe writes", phases)
	}
	if !d.NamespaceDeleted {
		t.Errorf("namespace %s not deleted within the cleanup timeout", d.Namespace)
	}
}
