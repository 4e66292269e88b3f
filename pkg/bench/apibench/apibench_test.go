package apibench

import (
	"context"
	"flag"
	"os"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/tinykube/tinykube/internal/testserver"
)

var kubeconfig = flag.String("kubeconfig", "", "API server for the integration test (or $TINYKUBE_BENCH_KUBECONFIG)")

// TestRunSmall runs every phase at toy sizes against a real API server:
// the one -kubeconfig (or $TINYKUBE_BENCH_KUBECONFIG) names — tinykube or
// upstream — or else a tinykube API server started here.
func TestRunSmall(t *testing.T) {
	path := *kubeconfig
	if path == "" {
		path = os.Getenv("TINYKUBE_BENCH_KUBECONFIG")
	}
	own := path == ""
	if own {
		path = testserver.Start(t, "").KubeconfigPath
	}
	rc, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.RESTConfig, cfg.Target = rc, rc.Host
	cfg.Concurrency = []int{1, 4}
	cfg.Count = 20
	cfg.ListObjects, cfg.ListIterations = 50, 2
	cfg.Watchers, cfg.WatchEvents, cfg.WatchRate, cfg.WatchTimeout = 5, 6, 100, 20*time.Second
	// A bare API server has no namespace controller to finish deleting
	// the namespace: don't wait for it.
	cfg.KeepNamespace = own

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	report, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]int{}
	for _, p := range report.Phases {
		if p.Errors > 0 {
			t.Errorf("phase %s c=%d: %d errors, first: %s", p.Phase, p.Concurrency, p.Errors, p.FirstError)
		}
		byName[p.Phase] += p.Ops
	}
	for phase, want := range map[string]int{"create": 40, "get": 40, "update": 40, "delete": 40, "list-setup-create": 50} {
		if byName[phase] != want {
			t.Errorf("phase %s: %d ops, want %d", phase, byName[phase], want)
		}
	}
	for _, p := range report.Phases {
		if (p.Phase == "list-rv-consistent" || p.Phase == "list-rv-0") && p.Objects != 50 {
			t.Errorf("%s returned %d objects, want 50", p.Phase, p.Objects)
		}
	}
	if w := report.Watch; w == nil || !w.AllArrived || w.Delivered != 30 || w.Unexpected != 0 {
		t.Errorf("watch (%s decode): %+v, want all 30 deliveries", cfg.WatchDecode, w)
	}

	// The watch phase again, with watchers decoding the whole typed Pod.
	cfg.Phases, cfg.WatchDecode = []string{PhaseWatch}, WatchDecodeFull
	report, err = Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if w := report.Watch; w == nil || !w.AllArrived || w.Delivered != 30 || w.Unexpected != 0 {
		t.Errorf("watch (%s decode): %+v, want all 30 deliveries", cfg.WatchDecode, w)
	}
}
