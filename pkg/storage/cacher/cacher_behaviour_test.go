package cacher_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/storage"
	"github.com/tinykube/tinykube/pkg/storage/cacher"
	"github.com/tinykube/tinykube/pkg/storage/etcd3"
	"github.com/tinykube/tinykube/pkg/storage/storagetest"
)

// countingStore is the real etcd3 store, counting the reads that reach it
// so tests can tell what the cache served from memory.
type countingStore struct {
	*etcd3.Store
	lists   atomic.Int64
	guessed atomic.Pointer[runtime.Object]
}

// guesses records the cachedExisting objects that reached the store.
func (s *countingStore) GuaranteedUpdate(ctx context.Context, key string, out runtime.Object, ignoreNotFound bool,
	pre *storage.Preconditions, tryUpdate storage.UpdateFunc, cachedExisting runtime.Object) error {
	s.guessed.Store(&cachedExisting)
	return s.Store.GuaranteedUpdate(ctx, key, out, ignoreNotFound, pre, tryUpdate, cachedExisting)
}

func (s *countingStore) Delete(ctx context.Context, key string, out runtime.Object, pre *storage.Preconditions,
	validate func(runtime.Object) error, cachedExisting runtime.Object) error {
	s.guessed.Store(&cachedExisting)
	return s.Store.Delete(ctx, key, out, pre, validate, cachedExisting)
}

// lastGuess is the cachedExisting of the last update or delete.
func (s *countingStore) lastGuess() runtime.Object {
	if p := s.guessed.Load(); p != nil {
		return *p
	}
	return nil
}

func (s *countingStore) GetList(ctx context.Context, key string, opts storage.ListOptions, out runtime.Object) error {
	s.lists.Add(1)
	return s.Store.GetList(ctx, key, opts, out)
}

func newCountingStore(client *clientv3.Client) *countingStore {
	return &countingStore{Store: etcd3.New(client, storagetest.PodCodec(), storagetest.NewPod, storagetest.NewPodList)}
}

func setup(t *testing.T, tweak ...func(*cacher.Config)) (*cacher.Cacher, *countingStore, *clientv3.Client) {
	client := storagetest.StartEtcd(t)
	store := newCountingStore(client)
	c := newCacher(t, client, append([]func(*cacher.Config){func(cfg *cacher.Config) { cfg.Storage = store }}, tweak...)...)
	return c, store, client
}

func create(t testing.TB, s storage.Interface, ns, name string, kv ...string) *corev1.Pod {
	t.Helper()
	out := &corev1.Pod{}
	if err := s.Create(context.Background(), storagetest.Key(ns, name), storagetest.Pod(ns, name, kv...), out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestListsServedFromMemory(t *testing.T) {
	c, store, _ := setup(t)
	ctx := context.Background()
	create(t, c, "ns", "a")
	last := create(t, c, "ns", "b")
	// Wait until the initial list is done (it goes to the store).
	if err := c.GetList(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: last.ResourceVersion}, &corev1.PodList{}); err != nil {
		t.Fatal(err)
	}
	before := store.lists.Load()
	for _, rv := range []string{"", "0", last.ResourceVersion} {
		l := &corev1.PodList{}
		if err := c.GetList(ctx, storagetest.Prefix("ns"), storage.ListOptions{Recursive: true, ResourceVersion: rv}, l); err != nil {
			t.Fatal(err)
		}
		if len(l.Items) != 2 {
			t.Fatalf("rv %q: %d items", rv, len(l.Items))
		}
	}
	// A write then a consistent read: the cache must catch up first.
	create(t, c, "ns", "c")
	l := &corev1.PodList{}
	if err := c.GetList(ctx, storagetest.Prefix("ns"), storage.ListOptions{Recursive: true}, l); err != nil || len(l.Items) != 3 {
		t.Fatalf("consistent list after write: %d items, %v", len(l.Items), err)
	}
	if n := store.lists.Load() - before; n != 0 {
		t.Fatalf("%d lists reached the store, want 0", n)
	}
	// Paginated consistent lists go to the store.
	if err := c.GetList(ctx, storagetest.Prefix("ns"), storage.ListOptions{Recursive: true, Predicate: storage.Predicate{Limit: 1}}, &corev1.PodList{}); err != nil {
		t.Fatal(err)
	}
	if n := store.lists.Load() - before; n != 1 {
		t.Fatalf("%d lists reached the store, want 1", n)
	}
}

func TestConsistentReadWithoutEvents(t *testing.T) {
	// Writes to another resource move etcd's revision; the cache learns it
	// has nothing newer through a progress request.
	c, store, client := setup(t)
	ctx := context.Background()
	create(t, c, "ns", "a")
	if _, err := client.Put(ctx, "/registry/configmaps/ns/x", "v"); err != nil {
		t.Fatal(err)
	}
	if err := c.GetList(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: "0"}, &corev1.PodList{}); err != nil {
		t.Fatal(err)
	}
	before := store.lists.Load()
	begin := time.Now()
	l := &corev1.PodList{}
	if err := c.GetList(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true}, l); err != nil {
		t.Fatal(err)
	}
	t.Logf("consistent list took %s", time.Since(begin))
	if n := store.lists.Load() - before; n != 0 {
		t.Fatalf("consistent list went to the store (%d lists)", n)
	}
	cur, _ := client.Get(ctx, "x")
	if rv, _ := strconv.ParseInt(l.ResourceVersion, 10, 64); rv < cur.Header.Revision-1 {
		t.Fatalf("list rv %s, etcd at %d", l.ResourceVersion, cur.Header.Revision)
	}
}

func TestWatchFromRevisionOfAnotherResource(t *testing.T) {
	// A client lists configmaps (RV = etcd's revision after a configmap
	// write) and watches pods from that RV: the pod cache, idle, must get
	// there through a progress request rather than time out with 504.
	c, _, client := setup(t, func(cfg *cacher.Config) { cfg.WaitTimeout = 2 * time.Second })
	ctx := context.Background()
	a := create(t, c, "ns", "a")
	if err := c.GetList(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: a.ResourceVersion}, &corev1.PodList{}); err != nil {
		t.Fatal(err)
	}
	put, err := client.Put(ctx, "/registry/configmaps/ns/x", "v")
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.Watch(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: strconv.FormatInt(put.Header.Revision, 10)})
	if err != nil {
		t.Fatalf("watch from another resource's revision: %v", err)
	}
	defer w.Stop()
	b := create(t, c, "ns", "b")
	if e := storagetest.NextEvent(t, w); e.Type != watch.Added || e.Object.(*corev1.Pod).Name != b.Name {
		t.Fatalf("got %s %v, want ADDED b", e.Type, e.Object)
	}
}

func TestWatchTooOldAndTooLarge(t *testing.T) {
	c, _, _ := setup(t, func(cfg *cacher.Config) {
		cfg.EventBufferSize = 4
		cfg.MaxEventBufferSize = 4
		cfg.WaitTimeout = 200 * time.Millisecond
	})
	ctx := context.Background()
	first := create(t, c, "ns", "a")
	// The cache lists at start-up, possibly after first was written: wait
	// until it holds first, so the creates below all arrive as events.
	if err := c.GetList(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: first.ResourceVersion}, &corev1.PodList{}); err != nil {
		t.Fatal(err)
	}
	var last *corev1.Pod
	for i := range 10 {
		last = create(t, c, "ns", fmt.Sprint("p", i))
	}
	// Catch up.
	if err := c.GetList(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: last.ResourceVersion}, &corev1.PodList{}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Watch(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: first.ResourceVersion})
	var rverr *storage.RVError
	if !errors.As(err, &rverr) || !errors.Is(err, storage.ErrExpired) {
		t.Fatalf("watch from before the buffer: %v, want ErrExpired", err)
	}
	lastRV, _ := strconv.ParseInt(last.ResourceVersion, 10, 64)
	_, err = c.Watch(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: strconv.FormatInt(lastRV+100, 10)})
	if !errors.Is(err, storage.ErrTooLarge) {
		t.Fatalf("watch from the future: %v, want ErrTooLarge", err)
	}
	err = c.GetList(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: strconv.FormatInt(lastRV+100, 10)}, &corev1.PodList{})
	if !errors.Is(err, storage.ErrTooLarge) {
		t.Fatalf("list from the future: %v, want ErrTooLarge", err)
	}
	// Within the buffer: fine.
	w, err := c.Watch(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: strconv.FormatInt(lastRV-2, 10)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for range 2 {
		if e := storagetest.NextEvent(t, w); e.Type != watch.Added {
			t.Fatalf("got %s", e.Type)
		}
	}
}

func TestBookmarks(t *testing.T) {
	c, _, _ := setup(t, func(cfg *cacher.Config) { cfg.BookmarkInterval = 20 * time.Millisecond })
	ctx := context.Background()
	a := create(t, c, "ns", "a")
	w, err := c.Watch(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: a.ResourceVersion, ProgressNotify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	b := create(t, c, "other", "b")
	if e := storagetest.NextEvent(t, w); e.Type != watch.Added {
		t.Fatalf("got %s", e.Type)
	}
	e := storagetest.NextEvent(t, w)
	if e.Type != watch.Bookmark {
		t.Fatalf("got %s, want BOOKMARK", e.Type)
	}
	p := e.Object.(*corev1.Pod)
	if p.ResourceVersion != b.ResourceVersion || p.Name != "" {
		t.Fatalf("bookmark %+v, want only rv %s", p.ObjectMeta, b.ResourceVersion)
	}
	// Without ProgressNotify: no bookmarks.
	w2, err := c.Watch(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: b.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Stop()
	storagetest.NoEvent(t, w2)
}

func TestSlowWatcherIsClosed(t *testing.T) {
	c, _, _ := setup(t, func(cfg *cacher.Config) { cfg.WatcherBufferSize = 10 })
	ctx := context.Background()
	a := create(t, c, "ns", "a")
	slow, err := c.Watch(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: a.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Stop()
	fast, err := c.Watch(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: a.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Stop()
	const n = 60
	got := make(chan int)
	go func() {
		count := 0
		for range fast.ResultChan() {
			if count++; count == n {
				break
			}
		}
		got <- count
	}()
	for i := range n {
		create(t, c, "ns", fmt.Sprint("p", i))
	}
	select {
	case count := <-got:
		if count != n {
			t.Fatalf("fast watcher got %d events", count)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("fast watcher blocked by the slow one")
	}
	// The slow watcher was closed after its buffer filled.
	count := 0
	for range slow.ResultChan() {
		count++
	}
	if count >= n {
		t.Fatalf("slow watcher got all %d events; want it closed", count)
	}
}

func TestThousandWatchers(t *testing.T) {
	c, _, _ := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := create(t, c, "ns", "start")
	const n = 1000
	watchers := make([]watch.Interface, n)
	for i := range watchers {
		pred := storage.Predicate{}
		if i%2 == 1 {
			pred = storagetest.Selector("app=web")
		}
		w, err := c.Watch(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: start.ResourceVersion, Predicate: pred})
		if err != nil {
			t.Fatal(err)
		}
		watchers[i] = w
	}
	begin := time.Now()
	create(t, c, "ns", "x", "app", "web")
	var wg sync.WaitGroup
	var received atomic.Int64
	for _, w := range watchers {
		wg.Go(func() {
			select {
			case e := <-w.ResultChan():
				if e.Type == watch.Added && e.Object.(*corev1.Pod).Name == "x" {
					received.Add(1)
				}
			case <-time.After(20 * time.Second):
			}
		})
	}
	wg.Wait()
	t.Logf("%d watchers received the event in %s", received.Load(), time.Since(begin))
	if received.Load() != n {
		t.Fatalf("%d of %d watchers got the event", received.Load(), n)
	}
	// Cancelling the context ends them all.
	cancel()
	for _, w := range watchers {
		for range w.ResultChan() {
		}
	}
}

func TestGetFromCacheIsACopy(t *testing.T) {
	c, _, _ := setup(t)
	ctx := context.Background()
	a := create(t, c, "ns", "a", "app", "web")
	got := &corev1.Pod{}
	if err := c.Get(ctx, storagetest.Key("ns", "a"), a.ResourceVersion, got); err != nil {
		t.Fatal(err)
	}
	got.Labels["app"] = "mutated"
	again := &corev1.Pod{}
	if err := c.Get(ctx, storagetest.Key("ns", "a"), "0", again); err != nil {
		t.Fatal(err)
	}
	if again.Labels["app"] != "web" {
		t.Fatal("mutating a Get result changed the cache")
	}
	if err := c.Get(ctx, storagetest.Key("ns", "zz"), "0", again); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
}

// Updates and deletes without a guess of their own start from the
// cache's copy; the store copies it before the update function runs.
func TestWritesGuessFromCache(t *testing.T) {
	c, store, _ := setup(t)
	ctx := context.Background()
	a := create(t, c, "ns", "a", "app", "web")
	if err := c.Get(ctx, storagetest.Key("ns", "a"), a.ResourceVersion, &corev1.Pod{}); err != nil {
		t.Fatal(err) // the cache has reached a
	}
	out := &corev1.Pod{}
	err := c.GuaranteedUpdate(ctx, storagetest.Key("ns", "a"), out, false, nil, func(cur runtime.Object) (runtime.Object, error) {
		cur.(*corev1.Pod).Labels["app"] = "mutated"
		return cur, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := store.lastGuess().(*corev1.Pod)
	if !ok || g.ResourceVersion != a.ResourceVersion || g.Labels["app"] != "web" {
		t.Fatalf("guess %#v, want the cached (unmodified) copy of %s", store.lastGuess(), a.ResourceVersion)
	}
	if out.Labels["app"] != "mutated" {
		t.Fatalf("updated %+v", out.ObjectMeta)
	}
	if err := c.Delete(ctx, storagetest.Key("ns", "a"), &corev1.Pod{}, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if store.lastGuess() == nil {
		t.Fatal("delete got no guess")
	}
	err = c.GuaranteedUpdate(ctx, storagetest.Key("ns", "zz"), &corev1.Pod{}, false, nil, func(cur runtime.Object) (runtime.Object, error) { return cur, nil }, nil)
	if !errors.Is(err, storage.ErrNotFound) || store.lastGuess() != nil {
		t.Fatalf("update of an uncached key: %v, guess %v", err, store.lastGuess())
	}
}
