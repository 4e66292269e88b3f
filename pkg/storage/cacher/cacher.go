package cacher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/storage"
)

// Config configures a Cacher. Storage, ResourcePrefix, NewFunc and
// NewListFunc are required.
type Config struct {
	// Storage is the store behind the cache (an *etcd3.Store). If it
	// implements storage.ProgressRequester, consistent reads are served
	// from memory; otherwise they go to Storage.
	Storage storage.Interface
	// ResourcePrefix is the key prefix of the resource
	// ("/registry/pods"); the cache holds every key under it.
	ResourcePrefix string
	NewFunc        func() runtime.Object
	NewListFunc    func() runtime.Object
	// GetAttrs computes labels and fields once per cached object version,
	// so each watcher's selector is a map lookup. Optional: without it
	// each Predicate's own GetAttrs runs per watcher.
	GetAttrs storage.AttrFunc
	// KeyFunc returns an object's key. Default: ResourcePrefix +
	// "/<namespace>/<name>", or "/<name>" for cluster-scoped objects.
	KeyFunc func(obj runtime.Object) (string, error)

	// EventBufferSize is how many recent events are at least kept for
	// watches that resume from a resourceVersion. Default 1000.
	EventBufferSize int
	// MaxEventBufferSize bounds the event history when it grows to keep
	// EventFreshness worth of events under heavy churn. Default 102,400
	// (upstream's bound); EventBufferSize if smaller.
	MaxEventBufferSize int
	// EventFreshness: the history grows while the events it would drop
	// are younger than this. Default 75 s (upstream's).
	EventFreshness time.Duration
	// WatcherBufferSize is how many events a watcher may lag behind before
	// it is closed. Default 100.
	WatcherBufferSize int
	// BookmarkInterval is how often watchers that asked for bookmarks get
	// one. Default 1 minute (upstream's cadence).
	BookmarkInterval time.Duration
	// WaitTimeout bounds waiting for the cache to reach a requested
	// resourceVersion (then ErrTooLarge) or to become ready. Default 3s.
	WaitTimeout time.Duration
	// Lazy defers the first list and the watch to the first read that
	// the cache answers (a Get with a resourceVersion, a list or a
	// watch), so a resource nobody reads costs no memory and no start-up
	// work. A watch from a resourceVersion older than that first list
	// is then served by Storage, which has the history the cache never
	// saw (or answers ErrExpired if etcd compacted it).
	Lazy bool
	// Logger; default slog.Default().
	Logger *slog.Logger
}

// Validate reports a missing collaborator.
func (c Config) Validate() error {
	switch {
	case c.Storage == nil:
		return errors.New("cacher: Storage is required")
	case c.ResourcePrefix == "":
		return errors.New("cacher: ResourcePrefix is required")
	case c.NewFunc == nil || c.NewListFunc == nil:
		return errors.New("cacher: NewFunc and NewListFunc are required")
	}
	return nil
}

func (c *Config) setDefaults() {
	if c.ResourcePrefix[len(c.ResourcePrefix)-1] == '/' {
		c.ResourcePrefix = c.ResourcePrefix[:len(c.ResourcePrefix)-1]
	}
	if c.KeyFunc == nil {
		prefix := c.ResourcePrefix
		c.KeyFunc = func(obj runtime.Object) (string, error) {
			m, err := meta.Accessor(obj)
			if err != nil {
				return "", err
			}
			if ns := m.GetNamespace(); ns != "" {
				return prefix + "/" + ns + "/" + m.GetName(), nil
			}
			return prefix + "/" + m.GetName(), nil
		}
	}
	if c.EventBufferSize <= 0 {
		c.EventBufferSize = 1000
	}
	if c.MaxEventBufferSize <= 0 {
		c.MaxEventBufferSize = 100 * 1024
	}
	if c.EventFreshness <= 0 {
		c.EventFreshness = 75 * time.Second
	}
	if c.WatcherBufferSize <= 0 {
		c.WatcherBufferSize = 100
	}
	if c.BookmarkInterval <= 0 {
		c.BookmarkInterval = time.Minute
	}
	if c.WaitTimeout <= 0 {
		c.WaitTimeout = 3 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Cacher is the watch cache for one resource. Create it with New and
// release it with Stop.
type Cacher struct {
	cfg      Config
	storage  storage.Interface
	progress storage.ProgressRequester // nil if Storage cannot report progress
	prefix   string                    // ResourcePrefix + "/"

	ctx    context.Context // the reflector's; also names its watch stream
	cancel context.CancelFunc
	done   chan struct{}
	// startOnce starts run (or, on a Stop first, only closes done).
	startOnce sync.Once

	mu sync.RWMutex
	// ready: the objects reflect the store at rev (false while (re)listing).
	ready bool
	rev   int64
	// firstRev is the revision of the cache's first list: the events
	// before it were never in the ring (0 until that list).
	firstRev int64
	objects  objectIndex
	events   ring
	// advanced is closed (and replaced) whenever rev or ready changes.
	advanced chan struct{}
	watchers map[*cacheWatcher]struct{}
	// waiting counts the reads blocked in waitFor (tests look at it).
	waiting atomic.Int32
}

// entry is one cached object version with its precomputed attributes
// and, in cached, its encodings once somebody asked for them.
type entry struct {
	key    string
	obj    runtime.Object
	cached *storage.CachedObject // wraps obj
	labels labels.Set
	fields fields.Set
}

var (
	_ storage.Interface          = (*Cacher)(nil)
	_ storage.CachedObjectLister = (*Cacher)(nil)
)

// New starts the cache's list-and-watch loop (with Lazy, at the first
// read) and returns at once; until the first list completes requests
// wait (up to WaitTimeout) or go to the store.
func New(cfg Config) (*Cacher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cacher{
		cfg:      cfg,
		storage:  cfg.Storage,
		prefix:   cfg.ResourcePrefix + "/",
		ctx:      ctx,
		cancel:   cancel,
		done:     make(chan struct{}),
		objects:  newObjectIndex(map[string]*entry{}),
		events:   newRing(cfg.EventBufferSize, cfg.MaxEventBufferSize, cfg.EventFreshness),
		advanced: make(chan struct{}),
		watchers: map[*cacheWatcher]struct{}{},
	}
	c.progress, _ = cfg.Storage.(storage.ProgressRequester)
	if !cfg.Lazy {
		c.start()
	}
	return c, nil
}

// start runs the list-and-watch loop unless it runs already or the
// cache was stopped.
func (c *Cacher) start() {
	c.startOnce.Do(func() { go c.run() })
}

// Stop ends the underlying watch and closes every client watch.
func (c *Cacher) Stop() {
	c.startOnce.Do(func() { close(c.done) }) // never started
	c.cancel()
	<-c.done
}

// newEntry computes the attributes of obj, stored at key, once.
func (c *Cacher) newEntry(key string, obj runtime.Object) *entry {
	e := &entry{key: key, obj: obj, cached: storage.NewCachedObject(obj)}
	if c.cfg.GetAttrs != nil {
		if l, f, err := c.cfg.GetAttrs(obj); err == nil {
			e.labels, e.fields = l, f
		}
	}
	return e
}

// matches evaluates pred on a cached entry, using the precomputed
// attributes when there are some.
func (c *Cacher) matches(pred storage.Predicate, e *entry) bool {
	if pred.Empty() {
		return true
	}
	if e.labels == nil && e.fields == nil {
		ok, err := pred.Matches(e.obj)
		return err == nil && ok
	}
	if pred.Label != nil && !pred.Label.Matches(e.labels) {
		return false
	}
	if pred.Field != nil && !pred.Field.Matches(e.fields) {
		return false
	}
	return true
}

// covers reports whether key (a list/watch key) lies inside the cache.
func (c *Cacher) covers(key string, recursive bool) bool {
	if recursive {
		key = storage.PrefixKey(key)
	}
	return len(key) >= len(c.prefix) && key[:len(c.prefix)] == c.prefix
}

// advanceLocked records that the cache reflects the store at rev and
// wakes everybody waiting for freshness.
func (c *Cacher) advanceLocked(rev int64) {
	if rev > c.rev {
		c.rev = rev
	}
	close(c.advanced)
	c.advanced = make(chan struct{})
}

// waitFor blocks until the cache is ready at a revision ≥ rev (0: just
// ready), for at most WaitTimeout and never past ctx. It returns the
// cache's revision, or an error: ErrTooLarge (*RVError) if the cache did
// not get there, or ctx's.
func (c *Cacher) waitFor(ctx context.Context, rev int64) (int64, error) {
	c.start()
	c.mu.RLock()
	ready, cur := c.ready, c.rev
	c.mu.RUnlock()
	if ready && cur >= rev {
		return cur, nil
	}
	c.waiting.Add(1)
	defer c.waiting.Add(-1)
	if c.progress != nil {
		// An idle resource's cache only advances on a progress bookmark:
		// ask for one as soon as the cache is ready — also when it becomes
		// ready during the wait (starting, or re-listing) — and again
		// while we wait, since etcd answers only when every watch on the
		// stream has caught up.
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go c.requestProgress(ctx)
	}
	timer := time.NewTimer(c.cfg.WaitTimeout)
	defer timer.Stop()
	for {
		c.mu.RLock()
		ready, cur, ch := c.ready, c.rev, c.advanced
		c.mu.RUnlock()
		if ready && cur >= rev {
			return cur, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-timer.C:
			return 0, &storage.RVError{Err: storage.ErrTooLarge, Requested: rev, Current: cur}
		}
	}
}

// progressInterval is how often a waiting read asks for progress again.
const progressInterval = 100 * time.Millisecond

// requestProgress asks the store for a progress bookmark whenever the
// cache is ready — at once, then every progressInterval — until ctx
// ends. While the cache is not ready (its list or watch is not there
// yet, so etcd would have nothing to report on) it waits for it to
// become ready rather than asking.
func (c *Cacher) requestProgress(ctx context.Context) {
	t := time.NewTicker(progressInterval)
	defer t.Stop()
	for {
		c.mu.RLock()
		ready, ch := c.ready, c.advanced
		c.mu.RUnlock()
		if !ready {
			select {
			case <-ctx.Done():
				return
			case <-ch: // ready or rev changed: look again
			}
			continue
		}
		_ = c.progress.RequestWatchProgress(c.ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// waitFresh makes the cache catch up with the store's current revision,
// for a consistent read from memory. false: could not, use the store.
func (c *Cacher) waitFresh(ctx context.Context) bool {
	if c.progress == nil {
		return false
	}
	cur, err := c.progress.CurrentRevision(ctx)
	if err != nil {
		return false
	}
	_, err = c.waitFor(ctx, cur)
	return err == nil
}

// Create implements storage.Interface (passes through).
func (c *Cacher) Create(ctx context.Context, key string, obj, out runtime.Object) error {
	return c.storage.Create(ctx, key, obj, out)
}

// GuaranteedUpdate implements storage.Interface: the store writes, with
// the cache's copy of the object as its first guess when the caller has
// none (upstream's cachedExistingObject), which saves the store a read
// whenever the cache is current.
func (c *Cacher) GuaranteedUpdate(ctx context.Context, key string, out runtime.Object, ignoreNotFound bool,
	preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc, cachedExisting runtime.Object) error {
	if cachedExisting == nil {
		cachedExisting = c.guess(key)
	}
	return c.storage.GuaranteedUpdate(ctx, key, out, ignoreNotFound, preconditions, tryUpdate, cachedExisting)
}

// Delete implements storage.Interface, with the cache's copy as the
// first guess as in GuaranteedUpdate.
func (c *Cacher) Delete(ctx context.Context, key string, out runtime.Object, preconditions *storage.Preconditions,
	validate func(current runtime.Object) error, cachedExisting runtime.Object) error {
	if cachedExisting == nil {
		cachedExisting = c.guess(key)
	}
	return c.storage.Delete(ctx, key, out, preconditions, validate, cachedExisting)
}

// guess returns the cached object at key (shared, read-only), or nil.
// It may be stale, or even left from before a relist: the store only
// writes on it after a compare-and-swap confirms it.
func (c *Cacher) guess(key string) runtime.Object {
	if !c.covers(key, false) {
		return nil
	}
	c.mu.RLock()
	e, ok := c.objects.get(key)
	c.mu.RUnlock()
	if !ok {
		return nil // absent or not cached yet: the store reads
	}
	return e.obj
}

// Count implements storage.Interface (passes through).
func (c *Cacher) Count(ctx context.Context, key string) (int64, error) {
	return c.storage.Count(ctx, key)
}

// Get implements storage.Interface. RV "" reads the store; "0" and "N"
// are served from memory (a deep copy) once the cache has reached N.
func (c *Cacher) Get(ctx context.Context, key string, resourceVersion string, out runtime.Object) error {
	if resourceVersion == "" || !c.covers(key, false) {
		return c.storage.Get(ctx, key, resourceVersion, out)
	}
	rv, err := storage.ParseResourceVersion(resourceVersion)
	if err != nil {
		return err
	}
	if _, err := c.waitFor(ctx, rv); err != nil {
		if rv == 0 && !errors.Is(err, context.Canceled) {
			return c.storage.Get(ctx, key, resourceVersion, out)
		}
		return err
	}
	c.mu.RLock()
	e, ok := c.objects.get(key)
	c.mu.RUnlock()
	if !ok {
		return fmt.Errorf("%s: %w", key, storage.ErrNotFound)
	}
	return copyInto(e.obj.DeepCopyObject(), out)
}
