package cacher_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/pkg/storage"
	"github.com/tinykube/tinykube/pkg/storage/cacher"
	"github.com/tinykube/tinykube/pkg/storage/storagetest"
)

// gatedStore holds the cache's first list after it has read etcd, until
// release is closed: a cache that is still starting, with its list
// already at an older revision than etcd's.
type gatedStore struct {
	*countingStore
	once    sync.Once
	listed  chan struct{} // closed when the first list has read etcd
	release chan struct{}
}

func (s *gatedStore) GetList(ctx context.Context, key string, opts storage.ListOptions, out runtime.Object) error {
	err := s.countingStore.GetList(ctx, key, opts, out)
	s.once.Do(func() {
		close(s.listed)
		<-s.release
	})
	return err
}

// A consistent read that begins while the cache is still starting, on a
// key range nobody writes to, is served once the cache is ready: the
// cache asks etcd for progress when it becomes ready, not only when the
// read began on a ready cache (before, such a read waited out
// WaitTimeout, then went to etcd — or, with a longer timeout than the
// request's, failed with the request).
func TestConsistentReadWaitingForStartingCache(t *testing.T) {
	client := storagetest.StartEtcd(t)
	store := &gatedStore{listed: make(chan struct{}), release: make(chan struct{})}
	store.countingStore = newCountingStore(client)
	released := false
	t.Cleanup(func() {
		if !released {
			close(store.release)
		}
	})
	ctx := context.Background()
	create(t, store, "ns", "a")
	c := newCacher(t, client, func(cfg *cacher.Config) {
		cfg.Storage = store
		cfg.WaitTimeout = time.Minute // longer than the read's own deadline
	})
	<-store.listed

	// Another resource moves etcd's revision past the cache's list.
	put, err := client.Put(ctx, "/registry/configmaps/ns/x", "v")
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		list *corev1.PodList
		err  error
	}
	done := make(chan result, 1)
	go func() {
		rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		l := &corev1.PodList{}
		err := c.GetList(rctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true}, l)
		done <- result{l, err}
	}()
	// The read waits for the cache, which is not ready yet.
	controllertest.Eventually(t, "the consistent read to wait for the cache", func(context.Context) (bool, error) {
		return c.Waiting() == 1, nil
	})
	close(store.release)
	released = true

	r := <-done
	if r.err != nil {
		t.Fatalf("consistent list: %v", r.err)
	}
	if n := store.lists.Load(); n != 1 {
		t.Fatalf("%d lists reached the store, want 1 (the cache's own): the read did not get its answer from the cache", n)
	}
	if rv, _ := strconv.ParseInt(r.list.ResourceVersion, 10, 64); rv < put.Header.Revision {
		t.Fatalf("list rv %s, etcd at %d", r.list.ResourceVersion, put.Header.Revision)
	}
	if len(r.list.Items) != 1 || r.list.Items[0].Name != "a" {
		t.Fatalf("listed %v, want pod a", r.list.Items)
	}
}
