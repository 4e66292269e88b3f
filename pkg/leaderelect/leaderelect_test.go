package leaderelect_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/leaderelect"
)

// TestOneLeader: two candidates for one Lease never run at once; when the
// leader stops, the other takes over.
func TestOneLeader(t *testing.T) {
	s := testserver.Start(t, "")
	var running, maxRunning atomic.Int32
	started := make(chan string, 2)
	candidate := func(ctx context.Context, id string) {
		_ = leaderelect.Run(ctx, s.Client, "test-component", id, slog.Default(), func(ctx context.Context) error {
			n := running.Add(1)
			defer running.Add(-1)
			for {
				if m := maxRunning.Load(); n <= m || maxRunning.CompareAndSwap(m, n) {
					break
				}
			}
			started <- id
			<-ctx.Done()
			return nil
		})
	}
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	go candidate(ctxA, "a")
	first := <-started
	go candidate(ctxB, "b")
	if first == "a" {
		select {
		case id := <-started:
			t.Fatalf("%s started while a held the lease", id)
		case <-time.After(3 * time.Second):
		}
	}
	stopA() // releases the lease on cancel
	select {
	case id := <-started:
		if id != "b" {
			t.Fatalf("took over: %s, want b", id)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("b never became leader after a stopped")
	}
	if m := maxRunning.Load(); m != 1 {
		t.Fatalf("%d candidates ran at once", m)
	}
}
