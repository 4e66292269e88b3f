package cacher

import (
	"context"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/storage"
)

// Watch implements storage.Interface from memory.
//
//   - RV "" waits until the cache has caught up with the store (a
//     consistent start; if it cannot tell, the watch goes to the store);
//     RV "0" starts from the cache as it is. Both first send ADDED for the
//     current objects, unless SendInitialEvents=false.
//   - RV "N" sends the buffered events after N. If N is older than the
//     buffer, Watch fails with ErrExpired (*RVError: "too old resource
//     version"); if the cache does not reach N within WaitTimeout, with
//     ErrTooLarge.
//   - SendInitialEvents=true: ADDED for the current objects (at a
//     revision ≥ N), then the initial-events-end Bookmark, then changes.
//
// A watcher that falls WatcherBufferSize events (plus the resultBuffer
// its consumer has not taken yet) behind is closed (its
// channel closes without an error event), as is every watcher when the
// cache re-lists; clients resume from the last resourceVersion they saw.
func (c *Cacher) Watch(ctx context.Context, key string, opts storage.ListOptions) (watch.Interface, error) {
	if !c.covers(key, opts.Recursive) {
		return c.storage.Watch(ctx, key, opts)
	}
	rv, err := storage.ParseResourceVersion(opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	initial := rv == 0
	if opts.SendInitialEvents != nil {
		initial = *opts.SendInitialEvents
	}
	if opts.ResourceVersion == "" && (opts.SendInitialEvents == nil || initial) {
		if !c.waitFresh(ctx) {
			return c.storage.Watch(ctx, key, opts)
		}
	}
	if _, err := c.waitFor(ctx, rv); err != nil {
		return nil, err
	}

	w := &cacheWatcher{
		key:       key,
		recursive: opts.Recursive,
		pred:      opts.Predicate,
		bookmarks: opts.ProgressNotify,
		cached:    opts.CachedObjects,
		input:     make(chan *event, c.cfg.WatcherBufferSize),
		result:    make(chan watch.Event, resultBuffer),
		done:      make(chan struct{}),
		stopped:   make(chan struct{}),
		cacher:    c,
	}
	if opts.Recursive {
		w.key = storage.PrefixKey(key)
	}

	var initialEntries []*entry
	var replay []*event
	c.mu.Lock()
	if !c.ready || c.rev < rv { // re-listing since waitFor
		cur := c.rev
		c.mu.Unlock()
		return nil, &storage.RVError{Err: storage.ErrTooLarge, Requested: rv, Current: cur}
	}
	w.startRev = c.rev
	if initial {
		initialEntries = c.snapshotLocked(w)
	} else if rv > 0 {
		var ok bool
		if replay, ok = c.events.after(rv); !ok {
			since, first := c.events.since, c.firstRev
			c.mu.Unlock()
			if c.cfg.Lazy && rv < first {
				// Events from before the cache started: etcd has them.
				return c.storage.Watch(ctx, key, opts)
			}
			return nil, &storage.RVError{Err: storage.ErrExpired, Requested: rv, Current: since + 1}
		}
	}
	c.watchers[w] = struct{}{}
	c.mu.Unlock()

	var endBookmark runtime.Object
	if opts.SendInitialEvents != nil && *opts.SendInitialEvents {
		if endBookmark, err = c.bookmarkObject(w.startRev, true); err != nil {
			w.Stop()
			return nil, err
		}
	}
	stopOnCancel := context.AfterFunc(ctx, w.Stop)
	go func() {
		defer stopOnCancel()
		w.run(initialEntries, endBookmark, replay)
	}()
	return w, nil
}

// snapshotLocked returns the cached objects under w's key, in key order.
func (c *Cacher) snapshotLocked(w *cacheWatcher) []*entry {
	if !w.recursive {
		if e, ok := c.objects.get(w.key); ok {
			return []*entry{e}
		}
		return nil
	}
	return c.objects.prefix(w.key)
}

// bookmarkObject is an empty object of the resource with only
// resourceVersion set (and the initial-events-end annotation if end).
func (c *Cacher) bookmarkObject(rev int64, end bool) (runtime.Object, error) {
	obj := c.cfg.NewFunc()
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	m.SetResourceVersion(storage.FormatResourceVersion(rev))
	if end {
		m.SetAnnotations(map[string]string{metav1.InitialEventsAnnotationKey: "true"})
	}
	return obj, nil
}

// resultBuffer is how many converted events a watcher holds for its
// consumer: the watcher goroutine need not wait for the consumer to be
// scheduled, and a consumer that finds more waiting (the API's watch
// handler) writes them out in one flush.
const resultBuffer = 16

// cacheWatcher is one client watch: a goroutine that turns shared events
// into this client's watch.Events.
type cacheWatcher struct {
	key       string // exact key, or a prefix ending in "/" when recursive
	recursive bool
	pred      storage.Predicate
	bookmarks bool
	cached    bool // send *storage.CachedObject (ListOptions.CachedObjects)
	startRev  int64
	cacher    *Cacher

	input   chan *event // closed by the cacher to terminate the watcher
	result  chan watch.Event
	done    chan struct{} // closed by Stop
	stopped chan struct{} // closed when run returns
	once    sync.Once
}

var _ watch.Interface = (*cacheWatcher)(nil)

func (w *cacheWatcher) wants(key string) bool {
	if w.recursive {
		return strings.HasPrefix(key, w.key)
	}
	return key == w.key
}

func (w *cacheWatcher) ResultChan() <-chan watch.Event { return w.result }

// Stop ends the watch; the result channel closes soon after.
func (w *cacheWatcher) Stop() {
	w.once.Do(func() {
		close(w.done)
		w.cacher.mu.Lock()
		w.cacher.terminateLocked(w)
		w.cacher.mu.Unlock()
	})
}

func (w *cacheWatcher) run(initial []*entry, endBookmark runtime.Object, replay []*event) {
	defer close(w.stopped)
	defer close(w.result)
	for _, e := range initial {
		if w.cacher.matches(w.pred, e) && !w.send(watch.Event{Type: watch.Added, Object: w.object(e.cached)}) {
			return
		}
	}
	if endBookmark != nil && !w.send(watch.Event{Type: watch.Bookmark, Object: w.object(storage.NewCachedObject(endBookmark))}) {
		return
	}
	for _, e := range replay {
		if w.wants(e.key) && !w.deliver(e) {
			return
		}
	}
	for {
		select {
		case e, ok := <-w.input:
			if !ok {
				return
			}
			if !w.deliver(e) {
				return
			}
		case <-w.done:
			return
		}
	}
}

// deliver converts e for this watcher's predicate and sends it: an update
// that enters the selector is ADDED, one that leaves it DELETED (with the
// previous state at the update's revision, as upstream).
func (w *cacheWatcher) deliver(e *event) bool {
	c := w.cacher
	if e.typ == watch.Bookmark {
		obj, err := e.derived(c)
		if err != nil {
			return true
		}
		return w.send(watch.Event{Type: watch.Bookmark, Object: w.object(obj)})
	}
	curOK := e.typ != watch.Deleted && c.matches(w.pred, e.cur)
	prevOK := e.prev != nil && c.matches(w.pred, e.prev)
	switch {
	case e.typ == watch.Deleted:
		if c.matches(w.pred, e.cur) {
			return w.send(watch.Event{Type: watch.Deleted, Object: w.object(e.cur.cached)})
		}
	case curOK && prevOK:
		return w.send(watch.Event{Type: watch.Modified, Object: w.object(e.cur.cached)})
	case curOK:
		return w.send(watch.Event{Type: watch.Added, Object: w.object(e.cur.cached)})
	case prevOK:
		old, err := e.derived(c)
		if err != nil {
			return true
		}
		return w.send(watch.Event{Type: watch.Deleted, Object: w.object(old)})
	}
	return true
}

// object is what this watcher sends for a cached object: the wrapper if
// it asked for one, else the object itself.
func (w *cacheWatcher) object(co *storage.CachedObject) runtime.Object {
	if w.cached {
		return co
	}
	return co.Object()
}

func (w *cacheWatcher) send(ev watch.Event) bool {
	select {
	case w.result <- ev:
		return true
	case <-w.done:
		return false
	}
}
