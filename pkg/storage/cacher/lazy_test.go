package cacher_test

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/storage"
	"github.com/tinykube/tinykube/pkg/storage/cacher"
	"github.com/tinykube/tinykube/pkg/storage/storagetest"
)

func lazy(cfg *cacher.Config) { cfg.Lazy = true }

// The whole storage contract holds for a cache that starts on first use.
func TestConformanceLazy(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, client *clientv3.Client) storage.Interface {
		return newCacher(t, client, lazy, func(cfg *cacher.Config) { cfg.WaitTimeout = 300 * time.Millisecond })
	})
}

func TestLazyCacheStartsOnFirstRead(t *testing.T) {
	c, store, _ := setup(t, lazy)
	ctx := context.Background()
	a := create(t, c, "ns", "a")
	create(t, c, "ns", "b")
	// Writes and a Get at RV "" go to etcd and start nothing.
	if err := c.Get(ctx, storagetest.Key("ns", "a"), "", &corev1.Pod{}); err != nil {
		t.Fatal(err)
	}
	if n := store.lists.Load(); n != 0 {
		t.Fatalf("%d lists before the first read from the cache, want 0", n)
	}

	// The first watch starts the cache. Its resourceVersion is older than
	// the cache's first list, so etcd replays what came after it.
	w, err := c.Watch(ctx, storagetest.Prefix("ns"), storage.ListOptions{Recursive: true, ResourceVersion: a.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if e := storagetest.NextEvent(t, w); e.Type != watch.Added || e.Object.(*corev1.Pod).Name != "b" {
		t.Fatalf("got %s %v, want ADDED b", e.Type, e.Object)
	}

	// From now on lists come from memory, and watches from the cache's
	// revisions on are the cache's.
	list := &corev1.PodList{}
	if err := c.GetList(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true}, list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 {
		t.Fatalf("%d pods listed, want 2", len(list.Items))
	}
	if n := store.lists.Load(); n != 1 {
		t.Fatalf("%d lists reached etcd, want 1 (the cache's own)", n)
	}
	w2, err := c.Watch(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: list.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Stop()
	create(t, c, "ns", "c")
	for _, w := range []watch.Interface{w, w2} {
		if e := storagetest.NextEvent(t, w); e.Type != watch.Added || e.Object.(*corev1.Pod).Name != "c" {
			t.Fatalf("got %s %v, want ADDED c", e.Type, e.Object)
		}
	}
}

// A cache stopped before anybody read from it never starts.
func TestLazyCacheStoppedUnused(t *testing.T) {
	client := storagetest.StartEtcd(t)
	c := newCacher(t, client, lazy, func(cfg *cacher.Config) { cfg.WaitTimeout = 100 * time.Millisecond })
	c.Stop()
	err := c.GetList(context.Background(), storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: "0"}, &corev1.PodList{})
	if err != nil {
		t.Fatalf("list after Stop: %v, want it served by the store", err)
	}
}
