package cacher

import (
	"testing"
	"time"
)

func TestRingGrowsWhileEventsAreFreshAndShrinksAfter(t *testing.T) {
	base := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	r := newRing(4, 16, time.Minute)
	r.reset(0)
	add := func(rev int64, at time.Time) { r.add(&event{rev: rev}, at) }

	// 20 events within a second: the ring doubles 4 → 8 → 16 and then,
	// at its bound, drops the oldest.
	for rev := int64(1); rev <= 20; rev++ {
		add(rev, base.Add(time.Duration(rev)*time.Millisecond))
	}
	if len(r.buf) != 16 || r.n != 16 || r.since != 4 {
		t.Fatalf("cap %d n %d since %d, want 16 16 4", len(r.buf), r.n, r.since)
	}
	if _, ok := r.after(3); ok {
		t.Fatal("after(3) ok, want expired")
	}
	evs, ok := r.after(10)
	if !ok || len(evs) != 10 || evs[0].rev != 11 || evs[9].rev != 20 {
		t.Fatalf("after(10): ok %v, %d events", ok, len(evs))
	}
	if evs, ok := r.after(20); !ok || len(evs) != 0 {
		t.Fatalf("after(20): ok %v, %d events", ok, len(evs))
	}

	// Two minutes later every buffered event is stale: the next add
	// halves the ring, keeping the newest events; the one after that
	// (its newest quarter still stale) halves it again, to the minimum.
	later := base.Add(2 * time.Minute)
	add(21, later)
	if len(r.buf) != 8 || r.n != 8 || r.since != 13 {
		t.Fatalf("cap %d n %d since %d, want 8 8 13", len(r.buf), r.n, r.since)
	}
	if evs, ok := r.after(13); !ok || len(evs) != 8 || evs[7].rev != 21 {
		t.Fatalf("after(13): ok %v, %d events", ok, len(evs))
	}
	add(22, later)
	if len(r.buf) != 4 || r.n != 4 || r.since != 18 || r.at(3).rev != 22 {
		t.Fatalf("cap %d n %d since %d newest %d, want 4 4 18 22", len(r.buf), r.n, r.since, r.at(r.n-1).rev)
	}
	// Not below the minimum: the stale 19 and 20 are dropped; then, the
	// oldest (21, added at later) being fresh, it grows again.
	for rev := int64(23); rev <= 30; rev++ {
		add(rev, later.Add(time.Duration(rev)*time.Millisecond))
	}
	if len(r.buf) != 16 || r.n != 10 || r.since != 20 {
		t.Fatalf("cap %d n %d since %d, want 16 10 20", len(r.buf), r.n, r.since)
	}
}

func TestRingStartsSmallAndGrowsToItsMinimum(t *testing.T) {
	base := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	r := newRing(100, 400, time.Minute)
	r.reset(0)
	if len(r.buf) != initialRing {
		t.Fatalf("cap %d, want %d before any event", len(r.buf), initialRing)
	}
	// Events an hour apart are all stale: the ring still keeps the first
	// 100 (its minimum), growing to hold them, and only then drops.
	for rev := int64(1); rev <= 100; rev++ {
		r.add(&event{rev: rev}, base.Add(time.Duration(rev)*time.Hour))
	}
	if len(r.buf) != 100 || r.n != 100 || r.since != 0 {
		t.Fatalf("cap %d n %d since %d, want 100 100 0", len(r.buf), r.n, r.since)
	}
	if evs, ok := r.after(0); !ok || len(evs) != 100 || evs[0].rev != 1 {
		t.Fatalf("after(0): ok %v, %d events", ok, len(evs))
	}
	r.add(&event{rev: 101}, base.Add(101*time.Hour))
	if len(r.buf) != 100 || r.n != 100 || r.since != 1 {
		t.Fatalf("cap %d n %d since %d, want 100 100 1", len(r.buf), r.n, r.since)
	}
}
