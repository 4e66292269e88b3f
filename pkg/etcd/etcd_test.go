package etcd

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/util/wait"
)

func start(t testing.TB, cfg Config) *Embedded {
	t.Helper()
	begin := time.Now()
	e, err := StartEmbedded(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("StartEmbedded took %s (endpoint %s)", time.Since(begin), e.Endpoint)
	return e
}

func TestStartEmbeddedKeepsDataAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()

	e := start(t, Config{DataDir: dir})
	if _, err := e.Client().Put(ctx, "/registry/k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e = start(t, Config{DataDir: dir})
	defer e.Close()
	resp, err := e.Client().Get(ctx, "/registry/k")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
		t.Fatalf("after restart got %v, want v", resp.Kvs)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"no data dir", Config{}, false},
		{"defaults", Config{DataDir: "/x"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestCompactorKeepsOneTickOfHistory(t *testing.T) {
	e := start(t, Config{DataDir: t.TempDir(), UnsafeNoFsync: true})
	defer e.Close()
	ctx := context.Background()
	c := e.Client()

	put := func() int64 {
		r, err := c.Put(ctx, "/registry/x", "v")
		if err != nil {
			t.Fatal(err)
		}
		return r.Header.Revision
	}
	old := put()
	var comp Compactor
	if err := comp.Tick(ctx, c); err != nil { // records a revision ≥ old
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "/registry/x", clientOptRev(old)...); err != nil {
		t.Fatalf("first tick must not compact: %v", err)
	}
	recent := put()
	if err := comp.Tick(ctx, c); err != nil { // compacts to the first tick's revision
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "/registry/x", clientOptRev(old)...); !errors.Is(err, rpctypes.ErrCompacted) {
		t.Fatalf("Get at %d after compaction: err = %v, want ErrCompacted", old, err)
	}
	if _, err := c.Get(ctx, "/registry/x", clientOptRev(recent)...); err != nil {
		t.Fatalf("revision %d after the last tick must survive: %v", recent, err)
	}

	// A second compactor sharing the etcd loses the round and does nothing.
	var other Compactor
	if err := other.Tick(ctx, c); err != nil {
		t.Fatal(err)
	}
	if other.version != comp.version {
		t.Fatalf("other compactor version %d, want %d", other.version, comp.version)
	}
}

func TestRunCompactionStopsWithContext(t *testing.T) {
	e := start(t, Config{DataDir: t.TempDir(), UnsafeNoFsync: true})
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { RunCompaction(ctx, e.Client(), 10*time.Millisecond); close(done) }()
	// pkg/etcd cannot import internal/controllertest (it imports
	// testserver, which imports this package), hence a local poll.
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		r, err := e.Client().Get(ctx, compactRevKey)
		if err != nil {
			return false, err
		}
		return len(r.Kvs) > 0 && r.Kvs[0].Version >= 2, nil
	})
	if err != nil {
		t.Fatalf("waiting for the compactor to run twice: %v", err)
	}
	cancel()
	<-done
}

func BenchmarkStartEmbedded(b *testing.B) {
	for i := 0; i < b.N; i++ {
		e, err := StartEmbedded(context.Background(), Config{DataDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		e.Close()
		b.StartTimer()
	}
}

func clientOptRev(rev int64) []clientv3.OpOption { return []clientv3.OpOption{clientv3.WithRev(rev)} }
