package etcd3_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/storage"
	"github.com/tinykube/tinykube/pkg/storage/etcd3"
	"github.com/tinykube/tinykube/pkg/storage/storagetest"
)

// A watch from etcd's newest revision (as a watch cache makes after its
// list when nothing was written since) does not stop progress requests on
// the stream it shares with the other watches: the older watch gets its
// bookmark at once, without waiting for a write. Before, the new watch
// started in etcd's future, and etcd refused progress to the whole
// stream until the next write anywhere.
func TestProgressWithWatchAtNewestRevision(t *testing.T) {
	client := storagetest.StartEtcd(t)
	s := etcd3.New(client, storagetest.PodCodec(), storagetest.NewPod, storagetest.NewPodList)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	if err := s.Create(ctx, storagetest.Key("a", "p"), storagetest.Pod("a", "p"), storagetest.NewPod()); err != nil {
		t.Fatal(err)
	}
	older, err := s.Watch(ctx, storagetest.Prefix("a"), storage.ListOptions{Recursive: true, ResourceVersion: "0", ProgressNotify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer older.Stop()
	if e := storagetest.NextEvent(t, older); e.Type != watch.Added {
		t.Fatalf("got %s, want the initial ADDED", e.Type)
	}
	// Another resource is written; then a watch starts from that newest
	// revision and nothing is written after it.
	put, err := client.Put(ctx, "/registry/configmaps/b/x", "v")
	if err != nil {
		t.Fatal(err)
	}
	head := put.Header.Revision
	newest, err := s.Watch(ctx, storagetest.Prefix("b"), storage.ListOptions{
		Recursive: true, ResourceVersion: strconv.FormatInt(head, 10), ProgressNotify: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer newest.Stop()

	// Both watches are on one stream; ask for progress until the older
	// one reports etcd's revision (etcd answers only once the new watch
	// has caught up, which takes it up to its 100 ms sync loop).
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(20 * time.Second)
	for {
		if err := s.RequestWatchProgress(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case e, ok := <-older.ResultChan():
			if !ok {
				t.Fatal("watch closed")
			}
			if e.Type != watch.Bookmark {
				t.Fatalf("got %s %v, want a Bookmark", e.Type, e.Object)
			}
			m, _ := meta.Accessor(e.Object)
			if rv, _ := storage.ParseResourceVersion(m.GetResourceVersion()); rv < head {
				t.Fatalf("bookmark at %d, etcd at %d", rv, head)
			}
			return
		case <-tick.C:
		case <-deadline:
			t.Fatal("no progress bookmark in 20s: etcd refused progress to the stream")
		}
	}
}
