package cacher_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/storage"
	"github.com/tinykube/tinykube/pkg/storage/storagetest"
)

// TestListCachedObjects: ListCachedObjects returns what GetList returns —
// items, order, resourceVersion, continue token — and from memory the
// very objects the cache holds, the same on every call.
func TestListCachedObjects(t *testing.T) {
	c, _, _ := setup(t)
	ctx := context.Background()
	for _, n := range []string{"c", "a", "d", "b"} {
		create(t, c, "ns", n, "app", map[bool]string{true: "web", false: "db"}[n < "c"])
	}
	last := create(t, c, "other", "e", "app", "web")
	for _, tc := range []struct {
		name   string
		prefix string
		opts   storage.ListOptions
	}{
		{"rv=N", storagetest.Prefix(""), storage.ListOptions{ResourceVersion: last.ResourceVersion}},
		{"rv=0", storagetest.Prefix(""), storage.ListOptions{ResourceVersion: "0"}},
		{"consistent", storagetest.Prefix("ns"), storage.ListOptions{}},
		{"selector", storagetest.Prefix(""), storage.ListOptions{ResourceVersion: "0", Predicate: storagetest.Selector("app=web")}},
		{"limit (store)", storagetest.Prefix(""), storage.ListOptions{Predicate: storage.Predicate{Limit: 2}}},
		{"exact (store)", storagetest.Prefix(""), storage.ListOptions{ResourceVersion: last.ResourceVersion, ResourceVersionMatch: storage.MatchExact}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Recursive = true
			want := &corev1.PodList{}
			if err := c.GetList(ctx, tc.prefix, opts, want); err != nil {
				t.Fatal(err)
			}
			got, err := c.ListCachedObjects(ctx, tc.prefix, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got.ResourceVersion != want.ResourceVersion || got.Continue != want.Continue ||
				(got.RemainingItemCount == nil) != (want.RemainingItemCount == nil) {
				t.Fatalf("list meta %q %q %v, want %q %q %v", got.ResourceVersion, got.Continue, got.RemainingItemCount,
					want.ResourceVersion, want.Continue, want.RemainingItemCount)
			}
			if len(got.Items) != len(want.Items) {
				t.Fatalf("%d items, want %d", len(got.Items), len(want.Items))
			}
			for i, co := range got.Items {
				p := co.Object().(*corev1.Pod)
				if p.Namespace+"/"+p.Name != want.Items[i].Namespace+"/"+want.Items[i].Name ||
					p.ResourceVersion != want.Items[i].ResourceVersion {
					t.Fatalf("item %d is %s/%s@%s, want %s/%s@%s", i, p.Namespace, p.Name, p.ResourceVersion,
						want.Items[i].Namespace, want.Items[i].Name, want.Items[i].ResourceVersion)
				}
			}
		})
	}
	a, err := c.ListCachedObjects(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: "0"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.ListCachedObjects(ctx, storagetest.Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: "0"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Items {
		if a.Items[i] != b.Items[i] {
			t.Fatalf("item %d: two lists got different objects; want the cached one", i)
		}
	}
}

// TestWatchCachedObjects: with CachedObjects every event's object is a
// *storage.CachedObject — the cached one for ADDED/MODIFIED/DELETED and
// initial events, one per event shared by all watchers for bookmarks
// and for the DELETED of an update that leaves a selector.
func TestWatchCachedObjects(t *testing.T) {
	c, _, _ := setup(t)
	ctx := context.Background()
	start := create(t, c, "ns", "start", "app", "web")
	yes := true
	watchers := make([]watch.Interface, 2)
	for i := range watchers {
		w, err := c.Watch(ctx, storagetest.Prefix(""), storage.ListOptions{
			Recursive: true, ResourceVersion: start.ResourceVersion, Predicate: storagetest.Selector("app=web"),
			SendInitialEvents: &yes, ProgressNotify: true, CachedObjects: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		watchers[i] = w
	}
	next := func(w watch.Interface, typ watch.EventType) *storage.CachedObject {
		t.Helper()
		e := storagetest.NextEvent(t, w)
		co, ok := e.Object.(*storage.CachedObject)
		if !ok {
			t.Fatalf("%s event carries %T, want *storage.CachedObject", e.Type, e.Object)
		}
		if e.Type != typ {
			t.Fatalf("got %s %s, want %s", e.Type, co.Object().(*corev1.Pod).Name, typ)
		}
		return co
	}
	for _, w := range watchers {
		if p := next(w, watch.Added).Object().(*corev1.Pod); p.Name != "start" {
			t.Fatalf("initial event for %s", p.Name)
		}
		end := next(w, watch.Bookmark).Object().(*corev1.Pod)
		if end.Annotations[metav1.InitialEventsAnnotationKey] != "true" {
			t.Fatal("initial-events-end bookmark without its annotation")
		}
	}
	create(t, c, "ns", "x", "app", "web")
	moved := &corev1.Pod{}
	if err := c.GuaranteedUpdate(ctx, storagetest.Key("ns", "x"), moved, false, nil, func(cur runtime.Object) (runtime.Object, error) {
		p := cur.(*corev1.Pod).DeepCopy()
		p.Labels["app"] = "db"
		return p, nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	var added, left [2]*storage.CachedObject
	for i, w := range watchers {
		added[i] = next(w, watch.Added)
		left[i] = next(w, watch.Deleted)
	}
	if added[0] != added[1] || left[0] != left[1] {
		t.Fatal("watchers got different objects for one event; want one shared object")
	}
	p := left[0].Object().(*corev1.Pod)
	if p.ResourceVersion != moved.ResourceVersion || p.Labels["app"] != "web" {
		t.Fatalf("DELETED for leaving the selector: rv %s app=%s, want the previous state at rv %s", p.ResourceVersion, p.Labels["app"], moved.ResourceVersion)
	}
}
