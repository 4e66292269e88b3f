package etcdbench

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestValidateRefusesRegistryPrefix(t *testing.T) {
	for _, prefix := range []string{"/registry/", "registry", "/", ""} {
		cfg := DefaultConfig()
		cfg.Prefix = prefix
		if err := cfg.Validate(); err == nil {
			t.Errorf("prefix %q accepted", prefix)
		}
	}
	cfg := DefaultConfig()
	cfg.Prefix = "bench-raw"
	if err := cfg.Validate(); err != nil || cfg.Prefix != "/bench-raw/" {
		t.Errorf("prefix bench-raw: %v, normalised to %q", err, cfg.Prefix)
	}
}

// TestRunSmall runs both phases at toy sizes against a real etcd given in
// $TINYKUBE_BENCH_ETCD (for example http://127.0.0.1:2379).
func TestRunSmall(t *testing.T) {
	ep := os.Getenv("TINYKUBE_BENCH_ETCD")
	if ep == "" {
		t.Skip("needs a running etcd: TINYKUBE_BENCH_ETCD=http://127.0.0.1:2379")
	}
	cfg := DefaultConfig()
	cfg.Endpoints = strings.Split(ep, ",")
	cfg.Concurrency, cfg.Count = []int{1, 4}, 20
	cfg.ListObjects, cfg.ListIterations = 50, 2
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	report, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range report.Phases {
		if p.Errors > 0 {
			t.Errorf("phase %s c=%d: %d errors, first: %s", p.Phase, p.Concurrency, p.Errors, p.FirstError)
		}
		if strings.HasPrefix(p.Phase, "list-") && p.Phase != "list-setup-create" && p.Ops > 0 && p.Phase != "list-deleterange" && p.Objects != 50 {
			t.Errorf("%s saw %d keys, want 50", p.Phase, p.Objects)
		}
	}
	if report.ObjectBytes < 500 {
		t.Errorf("encoded pod is %d bytes; expected a realistic pod", report.ObjectBytes)
	}
}
