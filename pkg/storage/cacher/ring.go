package cacher

import (
	"sort"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/storage"
)

// event is one change as the cache saw it, shared by every watcher.
type event struct {
	typ  watch.EventType // Added, Modified, Deleted or Bookmark
	key  string
	cur  *entry // new state; for Deleted the last state at the deletion rev
	prev *entry // state before (nil for Added and Bookmark)
	rev  int64
	at   time.Time // when the cache received it (for the ring's sizing)

	// derivedObj is the one object watchers send that is not cached:
	// for a Bookmark the bookmark object, otherwise prev at rev (the
	// DELETED a watcher gets when an update leaves its selector). Built
	// on first use and shared, so each is encoded once too.
	derivedOnce sync.Once
	derivedObj  *storage.CachedObject
	derivedErr  error
}

// derived returns the event's shared derived object (see derivedObj).
func (e *event) derived(c *Cacher) (*storage.CachedObject, error) {
	e.derivedOnce.Do(func() {
		if e.typ == watch.Bookmark {
			obj, err := c.bookmarkObject(e.rev, false)
			e.derivedObj, e.derivedErr = storage.NewCachedObject(obj), err
			return
		}
		obj, err := withRV(e.prev.obj, e.rev)
		if err == nil {
			e.derivedObj = storage.NewCachedObject(obj)
		}
		e.derivedErr = err
	})
	return e.derivedObj, e.derivedErr
}

// ring keeps the most recent events in revision order, so that a watch
// can resume from a resourceVersion. It holds at least min events. When
// it is full and the event it would drop is younger than fresh, it
// doubles (up to max) instead: under heavy churn a watcher that fell
// behind, or reconnects, can still resume rather than re-list — upstream's
// watch cache keeps 75 s of history the same way. When even its newest
// quarter is older than fresh, it halves again (not below min). Its
// buffer starts at initialRing slots and doubles up to min as events
// arrive (dropping none meanwhile), so a resource that rarely changes
// does not hold min empty slots.
type ring struct {
	buf   []*event
	start int // index of the oldest event
	n     int
	// since: every event with rev > since is in the buffer.
	since int64

	min, max int
	fresh    time.Duration
}

// initialRing is the ring's first buffer size.
const initialRing = 8

func newRing(lo, hi int, fresh time.Duration) ring {
	return ring{buf: make([]*event, min(lo, initialRing)), min: lo, max: max(lo, hi), fresh: fresh}
}

// reset empties the ring; it covers revisions after rev.
func (r *ring) reset(rev int64) {
	clear(r.buf)
	r.start, r.n, r.since = 0, 0, rev
}

// at returns the i-th event, oldest first.
func (r *ring) at(i int) *event { return r.buf[(r.start+i)%len(r.buf)] }

// add appends e, which happened at now.
func (r *ring) add(e *event, now time.Time) {
	e.at = now
	if r.n == len(r.buf) {
		switch {
		case len(r.buf) < r.min:
			r.resize(min(2*len(r.buf), r.min))
		case len(r.buf) < r.max && now.Sub(r.at(0).at) < r.fresh:
			r.resize(min(2*len(r.buf), r.max))
		case len(r.buf) > r.min && now.Sub(r.at(r.n-r.n/4).at) > r.fresh:
			r.resize(max(len(r.buf)/2, r.min))
		}
	}
	if r.n == len(r.buf) {
		r.since = r.buf[r.start].rev
		r.buf[r.start] = nil
		r.start = (r.start + 1) % len(r.buf)
		r.n--
	}
	r.buf[(r.start+r.n)%len(r.buf)] = e
	r.n++
}

// resize moves the newest events (all of them if they fit) into a buffer
// of size capacity.
func (r *ring) resize(capacity int) {
	buf := make([]*event, capacity)
	drop := max(r.n-capacity, 0)
	if drop > 0 {
		r.since = r.at(drop - 1).rev
	}
	for i := drop; i < r.n; i++ {
		buf[i-drop] = r.at(i)
	}
	r.buf, r.start, r.n = buf, 0, r.n-drop
}

// after returns the buffered events with rev > rev, oldest first. ok is
// false when events after rev have already been dropped.
func (r *ring) after(rev int64) (events []*event, ok bool) {
	if rev < r.since {
		return nil, false
	}
	first := sort.Search(r.n, func(i int) bool { return r.at(i).rev > rev })
	if first == r.n {
		return nil, true
	}
	events = make([]*event, 0, r.n-first)
	for i := first; i < r.n; i++ {
		events = append(events, r.at(i))
	}
	return events, true
}
