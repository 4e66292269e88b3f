package simulated

import (
	"container/heap"
	"context"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/utils/clock"
)

// Host holds what all simulated runtimes in a process share: the clock,
// ID generation and the heap of scheduled container exits.
type Host struct {
	clock  clock.WithTicker
	nextID atomic.Uint64

	mu    sync.Mutex
	exits exitHeap
	// wake is signalled when an exit earlier than the current head is
	// scheduled.
	wake chan struct{}
}

// NewHost returns a Host on clk (clock.RealClock{} outside tests). Call
// Run for exits to fire.
func NewHost(clk clock.WithTicker) *Host {
	return &Host{clock: clk, wake: make(chan struct{}, 1)}
}

// Run fires scheduled exits until ctx ends.
func (h *Host) Run(ctx context.Context) {
	for {
		h.mu.Lock()
		var wait time.Duration = -1
		var due []*exit
		now := h.clock.Now()
		for len(h.exits) > 0 {
			if d := h.exits[0].at.Sub(now); d > 0 {
				wait = d
				break
			}
			due = append(due, heap.Pop(&h.exits).(*exit))
		}
		h.mu.Unlock()
		for _, e := range due {
			e.rt.fire(ctx, e)
		}
		if len(due) > 0 {
			continue // firing took time; look again
		}
		var timer clock.Timer
		var fired <-chan time.Time
		if wait >= 0 {
			timer = h.clock.NewTimer(wait)
			fired = timer.C()
		}
		select {
		case <-ctx.Done():
		case <-h.wake:
		case <-fired:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

func (h *Host) schedule(e *exit) {
	h.mu.Lock()
	heap.Push(&h.exits, e)
	first := h.exits[0] == e
	h.mu.Unlock()
	if first {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}

func (h *Host) newID() string {
	return idString(h.nextID.Add(1))
}

// exit is a container's scheduled end; it is ignored if the container
// was stopped or removed in the meantime.
type exit struct {
	at   time.Time
	rt   *Runtime
	id   string
	code int32
}

type exitHeap []*exit

func (h exitHeap) Len() int           { return len(h) }
func (h exitHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h exitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *exitHeap) Push(x any)        { *h = append(*h, x.(*exit)) }
func (h *exitHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

// idString renders n as 16 hex digits, like a (short) container ID.
func idString(n uint64) string {
	const hex = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = hex[n&0xf]
		n >>= 4
	}
	return string(b[:])
}

// nanos converts a time to the CRI's nanoseconds.
func nanos(t time.Time) int64 { return t.UnixNano() }
