package cacher

import (
	"sync"

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

// ring keeps the most recent events in revision order.
type ring struct {
	buf   []*event
	start int // index of the oldest event
	n     int
	// since: every event with rev > since is in the buffer.
	since int64
}

func newRing(size int) ring { return ring{buf: make([]*event, size)} }

// reset empties the ring; it covers revisions after rev.
func (r *ring) reset(rev int64) {
	clear(r.buf)
	r.start, r.n, r.since = 0, 0, rev
}

func (r *ring) add(e *event) {
	if r.n == len(r.buf) {
		r.since = r.buf[r.start].rev
		r.buf[r.start] = nil
		r.start = (r.start + 1) % len(r.buf)
		r.n--
	}
	r.buf[(r.start+r.n)%len(r.buf)] = e
	r.n++
}

// after returns the buffered events with rev > rev, oldest first. ok is
// false when events after rev have already been dropped.
func (r *ring) after(rev int64) (events []*event, ok bool) {
	if rev < r.since {
		return nil, false
	}
	for i := 0; i < r.n; i++ {
		e := r.buf[(r.start+i)%len(r.buf)]
		if e.rev > rev {
			events = append(events, e)
		}
	}
	return events, true
}
