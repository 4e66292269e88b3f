package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ktypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/storage"
)

// Cases is the conformance suite, run by Run.
var Cases = []Case{
	{"CreateGet", testCreateGet},
	{"CreateErrors", testCreateErrors},
	{"GuaranteedUpdate", testGuaranteedUpdate},
	{"UpdatePreconditions", testUpdatePreconditions},
	{"ConcurrentUpdatesRetry", testConcurrentUpdates},
	{"Delete", testDelete},
	{"CurrentGuessOneTransaction", testCurrentGuess},
	{"StaleGuessRetried", testStaleGuess},
	{"ListSelectors", testListSelectors},
	{"ListResourceVersions", testListResourceVersions},
	{"Pagination", testPagination},
	{"PaginationFiltered", testPaginationFiltered},
	{"Compacted", testCompacted},
	{"WatchFromResourceVersion", testWatchFromRV},
	{"WatchInitialState", testWatchInitialState},
	{"WatchSelectorTransitions", testWatchSelectorTransitions},
	{"WatchSendInitialEvents", testWatchSendInitialEvents},
	{"Count", testCount},
}

func testCreateGet(t *testing.T, ctx context.Context, env Env) {
	s := env.Store
	out := mustCreate(t, ctx, s, Pod("ns", "a", "app", "web"))
	if out.Name != "a" || out.Labels["app"] != "web" || out.ResourceVersion == "" {
		t.Fatalf("create out = %+v", out.ObjectMeta)
	}
	got := &corev1.Pod{}
	if err := s.Get(ctx, Key("ns", "a"), "", got); err != nil {
		t.Fatal(err)
	}
	if got.ResourceVersion != out.ResourceVersion || got.Spec.Containers[0].Image != "busybox" {
		t.Fatalf("get = %+v, want rv %s", got.ObjectMeta, out.ResourceVersion)
	}

	// Stored bytes: upstream's protobuf envelope, no resourceVersion.
	raw, err := env.Client.Get(ctx, Key("ns", "a"))
	if err != nil {
		t.Fatal(err)
	}
	data := raw.Kvs[0].Value
	if !bytes.HasPrefix(data, []byte("k8s\x00")) {
		t.Fatalf("stored value %q does not start with the protobuf envelope", data[:8])
	}
	if bytes.Contains(data, []byte(out.ResourceVersion)) && len(out.ResourceVersion) > 3 {
		t.Fatalf("stored value contains the resourceVersion %s", out.ResourceVersion)
	}
	if strconv.FormatInt(raw.Kvs[0].ModRevision, 10) != out.ResourceVersion {
		t.Fatalf("rv %s, ModRevision %d", out.ResourceVersion, raw.Kvs[0].ModRevision)
	}
	stored := &corev1.Pod{}
	if _, _, err := PodCodec().Decode(data, nil, stored); err != nil {
		t.Fatal(err)
	}
	if stored.ResourceVersion != "" {
		t.Fatalf("stored object has resourceVersion %q", stored.ResourceVersion)
	}

	// Get with a future minimum resourceVersion.
	err = s.Get(ctx, Key("ns", "a"), strconv.FormatInt(rvOf(t, out)+100, 10), got)
	wantErr(t, err, storage.ErrTooLarge)
}

func testCreateErrors(t *testing.T, ctx context.Context, env Env) {
	s := env.Store
	mustCreate(t, ctx, s, Pod("ns", "a"))
	wantErr(t, s.Create(ctx, Key("ns", "a"), Pod("ns", "a"), &corev1.Pod{}), storage.ErrKeyExists)
	wantErr(t, s.Get(ctx, Key("ns", "missing"), "", &corev1.Pod{}), storage.ErrNotFound)
	withRV := Pod("ns", "b")
	withRV.ResourceVersion = "5"
	if err := s.Create(ctx, Key("ns", "b"), withRV, &corev1.Pod{}); err == nil {
		t.Fatal("create with a resourceVersion succeeded")
	}
}

func testGuaranteedUpdate(t *testing.T, ctx context.Context, env Env) {
	s := env.Store
	created := mustCreate(t, ctx, s, Pod("ns", "a"))
	updated := mustUpdate(t, ctx, s, "ns", "a", setLabel("x", "1"))
	if updated.Labels["x"] != "1" || rvOf(t, updated) <= rvOf(t, created) {
		t.Fatalf("updated %+v after create rv %s", updated.ObjectMeta, created.ResourceVersion)
	}
	// Same content: no write, same resourceVersion.
	again := mustUpdate(t, ctx, s, "ns", "a", setLabel("x", "1"))
	if again.ResourceVersion != updated.ResourceVersion {
		t.Fatalf("no-op update changed rv %s -> %s", updated.ResourceVersion, again.ResourceVersion)
	}
	// Absent key.
	err := s.GuaranteedUpdate(ctx, Key("ns", "missing"), &corev1.Pod{}, false, nil, setLabel("x", "1"), nil)
	wantErr(t, err, storage.ErrNotFound)
	// Create on update.
	out := &corev1.Pod{}
	err = s.GuaranteedUpdate(ctx, Key("ns", "new"), out, true, nil, func(cur runtime.Object) (runtime.Object, error) {
		if cur.(*corev1.Pod).Name != "" {
			t.Errorf("create-on-update got a non-zero object %+v", cur)
		}
		return Pod("ns", "new"), nil
	}, nil)

	if err != nil || out.Name != "new" || out.ResourceVersion == "" {
		t.Fatalf("create on update: %v %+v", err, out.ObjectMeta)
	}
	// tryUpdate errors abort.
	boom := errors.New("boom")
	err = s.GuaranteedUpdate(ctx, Key("ns", "a"), out, false, nil, func(runtime.Object) (runtime.Object, error) { return nil, boom }, nil)
	wantErr(t, err, boom)
}

func testUpdatePreconditions(t *testing.T, ctx context.Context, env Env) {
	s := env.Store
	created := mustCreate(t, ctx, s, Pod("ns", "a"))
	for _, tc := range []struct {
		name string
		pre  storage.Preconditions
		ok   bool
	}{
		{"uid matches", storage.Preconditions{UID: ptr(created.UID)}, true},
		{"uid differs", storage.Preconditions{UID: ptr(ktypes.UID("other"))}, false},
		{"rv stale", storage.Preconditions{ResourceVersion: ptr(created.ResourceVersion)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.GuaranteedUpdate(ctx, Key("ns", "a"), &corev1.Pod{}, false, &tc.pre, setLabel("n", tc.name), nil)
			if tc.ok && err != nil {
				t.Fatal(err)
			}
			if !tc.ok {
				wantErr(t, err, storage.ErrConflict)
			}
		})
	}
	cur := &corev1.Pod{}
	if err := s.Get(ctx, Key("ns", "a"), "", cur); err != nil {
		t.Fatal(err)
	}
	err := s.GuaranteedUpdate(ctx, Key("ns", "a"), &corev1.Pod{}, false, &storage.Preconditions{ResourceVersion: ptr(cur.ResourceVersion)}, setLabel("n", "fresh"), nil)

	if err != nil {
		t.Fatalf("current rv precondition: %v", err)
	}
}

func testConcurrentUpdates(t *testing.T, ctx context.Context, env Env) {
	s := env.Store
	mustCreate(t, ctx, s, Pod("ns", "a"))
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			err := s.GuaranteedUpdate(ctx, Key("ns", "a"), &corev1.Pod{}, false, nil, func(cur runtime.Object) (runtime.Object, error) {
				p := cur.(*corev1.Pod)
				if p.Annotations == nil {
					p.Annotations = map[string]string{}
				}
				c, _ := strconv.Atoi(p.Annotations["count"])
				p.Annotations["count"] = strconv.Itoa(c + 1)
				return p, nil
			}, nil)

			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got := &corev1.Pod{}
	if err := s.Get(ctx, Key("ns", "a"), "", got); err != nil {
		t.Fatal(err)
	}
	if got.Annotations["count"] != strconv.Itoa(n) {
		t.Fatalf("count = %s after %d concurrent increments", got.Annotations["count"], n)
	}
}

func testDelete(t *testing.T, ctx context.Context, env Env) {
	s := env.Store
	created := mustCreate(t, ctx, s, Pod("ns", "a", "app", "web"))
	mustCreate(t, ctx, s, Pod("ns", "b"))

	veto := errors.New("veto")
	err := s.Delete(ctx, Key("ns", "a"), &corev1.Pod{}, nil, func(runtime.Object) error { return veto }, nil)
	wantErr(t, err, veto)
	err = s.Delete(ctx, Key("ns", "a"), &corev1.Pod{}, &storage.Preconditions{UID: ptr(ktypes.UID("other"))}, nil, nil)
	wantErr(t, err, storage.ErrConflict)
	err = s.Delete(ctx, Key("ns", "a"), &corev1.Pod{}, &storage.Preconditions{ResourceVersion: ptr("1")}, nil, nil)
	wantErr(t, err, storage.ErrConflict)

	out := &corev1.Pod{}
	err = s.Delete(ctx, Key("ns", "a"), out, &storage.Preconditions{UID: ptr(created.UID), ResourceVersion: ptr(created.ResourceVersion)}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Name != "a" || out.Labels["app"] != "web" || rvOf(t, out) <= rvOf(t, created) {
		t.Fatalf("deleted object %+v, created rv %s", out.ObjectMeta, created.ResourceVersion)
	}
	wantErr(t, s.Get(ctx, Key("ns", "a"), "", &corev1.Pod{}), storage.ErrNotFound)
	wantErr(t, s.Delete(ctx, Key("ns", "a"), &corev1.Pod{}, nil, nil, nil), storage.ErrNotFound)
	if got := names(list(t, ctx, s, Prefix("ns"), storage.ListOptions{})); got != "b" {
		t.Fatalf("after delete list = %s, want b", got)
	}
}

func testListSelectors(t *testing.T, ctx context.Context, env Env) {
	s := env.Store
	mustCreate(t, ctx, s, Pod("ns1", "a", "app", "web"))
	mustCreate(t, ctx, s, Pod("ns1", "b", "app", "db"))
	mustCreate(t, ctx, s, Pod("ns2", "c", "app", "web"))
	// A namespace whose name extends ns1 must not leak into ns1's list.
	last := mustCreate(t, ctx, s, Pod("ns10", "d", "app", "web"))
	for _, tc := range []struct {
		name   string
		prefix string
		pred   storage.Predicate
		want   string
	}{
		{"all", Prefix(""), storage.Predicate{}, "a,b,d,c"}, // key order: ns1/ < ns10/ < ns2/
		{"namespace", Prefix("ns1"), storage.Predicate{}, "a,b"},
		{"namespace without slash", "/registry/pods/ns1", storage.Predicate{}, "a,b"},
		{"label", Prefix(""), Selector("app=web"), "a,d,c"},
		{"label in namespace", Prefix("ns1"), Selector("app=web"), "a"},
		{"field", Prefix(""), fieldSel("metadata.name=b"), "b"},
		{"nothing", Prefix(""), Selector("app=none"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := list(t, ctx, s, tc.prefix, storage.ListOptions{Predicate: tc.pred})
			if got := names(l); got != tc.want {
				t.Fatalf("list = %q, want %q", got, tc.want)
			}
			if rvOf(t, l) < rvOf(t, last) {
				t.Fatalf("list rv %s older than last write %s", l.ResourceVersion, last.ResourceVersion)
			}
			for _, p := range l.Items {
				if p.ResourceVersion == "" {
					t.Fatalf("item %s has no resourceVersion", p.Name)
				}
			}
		})
	}
}

func testListResourceVersions(t *testing.T, ctx context.Context, env Env) {
	s := env.Store
	first := mustCreate(t, ctx, s, Pod("ns", "a"))
	second := mustCreate(t, ctx, s, Pod("ns", "b"))
	cur := rvOf(t, second)
	for _, tc := range []struct {
		name    string
		opts    storage.ListOptions
		want    string
		wantErr error
	}{
		{"latest", storage.ListOptions{}, "a,b", nil},
		{"any", storage.ListOptions{ResourceVersion: "0"}, "a,b", nil},
		{"not older than", storage.ListOptions{ResourceVersion: second.ResourceVersion}, "a,b", nil},
		{"exact old", storage.ListOptions{ResourceVersion: first.ResourceVersion, ResourceVersionMatch: storage.MatchExact}, "a", nil},
		{"too large", storage.ListOptions{ResourceVersion: strconv.FormatInt(cur+1000, 10)}, "", storage.ErrTooLarge},
		{"exact too large", storage.ListOptions{ResourceVersion: strconv.FormatInt(cur+1000, 10), ResourceVersionMatch: storage.MatchExact}, "", storage.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Recursive = true
			l := &corev1.PodList{}
			err := s.GetList(ctx, Prefix("ns"), opts, l)
			if tc.wantErr != nil {
				wantErr(t, err, tc.wantErr)
				var rverr *storage.RVError
				if !errors.As(err, &rverr) {
					t.Fatalf("err %v is not an *RVError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(l); got != tc.want {
				t.Fatalf("list = %q, want %q", got, tc.want)
			}
			if tc.opts.ResourceVersionMatch == storage.MatchExact && l.ResourceVersion != tc.opts.ResourceVersion {
				t.Fatalf("exact list rv %s, want %s", l.ResourceVersion, tc.opts.ResourceVersion)
			}
		})
	}
}

func testPagination(t *testing.T, ctx context.Context, env Env) {
	s := env.Store
	for i := range 10 {
		mustCreate(t, ctx, s, Pod("ns", fmt.Sprintf("p%02d", i)))
	}
	page := list(t, ctx, s, Prefix("ns"), storage.ListOptions{Predicate: storage.Predicate{Limit: 4}})
	if names(page) != "p00,p01,p02,p03" || page.Continue == "" {
		t.Fatalf("page 1 = %s continue %q", names(page), page.Continue)
	}
	if page.RemainingItemCount == nil || *page.RemainingItemCount != 6 {
		t.Fatalf("remainingItemCount = %v, want 6", page.RemainingItemCount)
	}
	listRV := page.ResourceVersion

	// Changes after the first page are not visible to the next pages.
	mustDelete(t, ctx, s, "ns", "p05")
	mustCreate(t, ctx, s, Pod("ns", "p99"))
	mustUpdate(t, ctx, s, "ns", "p06", setLabel("changed", "yes"))

	var all []string
	all = append(all, names(page))
	for page.Continue != "" {
		page = list(t, ctx, s, Prefix("ns"), storage.ListOptions{Predicate: storage.Predicate{Limit: 4, Continue: page.Continue}})
		if page.ResourceVersion != listRV {
			t.Fatalf("page rv %s, first page rv %s", page.ResourceVersion, listRV)
		}
		for _, p := range page.Items {
			if p.Labels["changed"] != "" {
				t.Fatalf("page shows a later update of %s", p.Name)
			}
		}
		all = append(all, names(page))
	}
	want := []string{"p00,p01,p02,p03", "p04,p05,p06,p07", "p08,p09"}
	if fmt.Sprint(all) != fmt.Sprint(want) {
		t.Fatalf("pages = %v, want %v", all, want)
	}

	// Exactly a page left: the last page has no continue token.
	page = list(t, ctx, s, Prefix("ns"), storage.ListOptions{Predicate: storage.Predicate{Limit: 10}})
	if page.Continue != "" || len(page.Items) != 10 {
		t.Fatalf("limit = size: %d items, continue %q", len(page.Items), page.Continue)
	}
	// Garbage token.
	err := s.GetList(ctx, Prefix("ns"), storage.ListOptions{Recursive: true, Predicate: storage.Predicate{Limit: 2, Continue: "!!"}}, &corev1.PodList{})
	wantErr(t, err, storage.ErrInvalidContinue)
}

func testPaginationFiltered(t *testing.T, ctx context.Context, env Env) {
	s := env.Store
	for i := range 30 {
		app := "db"
		if i%3 == 0 {
			app = "web"
		}
		mustCreate(t, ctx, s, Pod("ns", fmt.Sprintf("p%02d", i), "app", app))
	}
	var got []string
	cont := ""
	for pages := 0; ; pages++ {
		pred := Selector("app=web")
		pred.Limit, pred.Continue = 3, cont
		page := list(t, ctx, s, Prefix("ns"), storage.ListOptions{Predicate: pred})
		if len(page.Items) > 3 {
			t.Fatalf("page of %d items with limit 3", len(page.Items))
		}
		for _, p := range page.Items {
			got = append(got, p.Name)
		}
		if cont = page.Continue; cont == "" {
			break
		}
		if pages > 10 {
			t.Fatal("too many pages")
		}
	}
	if len(got) != 10 || got[0] != "p00" || got[9] != "p27" {
		t.Fatalf("filtered pages = %v", got)
	}
}

func testCompacted(t *testing.T, ctx context.Context, env Env) {
	s := env.Store
	first := mustCreate(t, ctx, s, Pod("ns", "a"))
	for i := range 5 {
		mustCreate(t, ctx, s, Pod("ns", fmt.Sprintf("b%d", i)))
	}
	page := list(t, ctx, s, Prefix("ns"), storage.ListOptions{Predicate: storage.Predicate{Limit: 2}})
	mustCreate(t, ctx, s, Pod("ns", "c"))
	compact(t, ctx, env.Client)
	s = env.New() // a store (or cache) that starts after the compaction

	var rverr *storage.RVError
	// Exact list at a compacted revision.
	err := s.GetList(ctx, Prefix("ns"), storage.ListOptions{Recursive: true, ResourceVersion: first.ResourceVersion, ResourceVersionMatch: storage.MatchExact}, &corev1.PodList{})
	wantErr(t, err, storage.ErrExpired)
	// Continue token whose revision was compacted: 410 and a fresh token.
	err = s.GetList(ctx, Prefix("ns"), storage.ListOptions{Recursive: true, Predicate: storage.Predicate{Limit: 2, Continue: page.Continue}}, &corev1.PodList{})
	wantErr(t, err, storage.ErrExpired)
	if !errors.As(err, &rverr) || rverr.Continue == "" {
		t.Fatalf("expired continue: %#v has no fresh token", err)
	}
	resumed := list(t, ctx, s, Prefix("ns"), storage.ListOptions{Predicate: storage.Predicate{Limit: 100, Continue: rverr.Continue}})
	if got := names(resumed); got != "b1,b2,b3,b4,c" {
		t.Fatalf("resumed list = %s", got)
	}
	// Watch from a compacted revision.
	_, err = s.Watch(ctx, Prefix("ns"), storage.ListOptions{Recursive: true, ResourceVersion: first.ResourceVersion})
	wantErr(t, err, storage.ErrExpired)
	if !errors.As(err, &rverr) || rverr.Requested != rvOf(t, first) {
		t.Fatalf("watch error %#v, want RVError for %d", err, rvOf(t, first))
	}
}

func testWatchFromRV(t *testing.T, ctx context.Context, env Env) {
	s := env.Store
	a := mustCreate(t, ctx, s, Pod("ns", "a"))
	w := startWatch(t, ctx, s, Prefix("ns"), storage.ListOptions{Recursive: true, ResourceVersion: a.ResourceVersion})
	b := mustCreate(t, ctx, s, Pod("ns", "b"))
	mustCreate(t, ctx, s, Pod("other", "x")) // not under the prefix
	u := mustUpdate(t, ctx, s, "ns", "a", setLabel("x", "1"))
	d := mustDelete(t, ctx, s, "ns", "b")
	expect(t, w, watch.Added, "b", rvOf(t, b))
	e := expect(t, w, watch.Modified, "a", rvOf(t, u))
	if e.Object.(*corev1.Pod).Labels["x"] != "1" {
		t.Fatal("MODIFIED event lacks the update")
	}
	e = expect(t, w, watch.Deleted, "b", rvOf(t, d))
	if e.Object.(*corev1.Pod).Spec.Containers[0].Image != "busybox" {
		t.Fatal("DELETED event lacks the last state")
	}
	NoEvent(t, w)

	// A single key.
	w1 := startWatch(t, ctx, s, Key("ns", "a"), storage.ListOptions{ResourceVersion: u.ResourceVersion})
	mustUpdate(t, ctx, s, "ns", "a", setLabel("x", "2"))
	expect(t, w1, watch.Modified, "a", 0)

	// Stop closes the channel.
	w.Stop()
	for range w.ResultChan() {
	}
}

func testWatchInitialState(t *testing.T, ctx context.Context, env Env) {
	s := env.Store
	mustCreate(t, ctx, s, Pod("ns", "a"))
	b := mustCreate(t, ctx, s, Pod("ns", "b"))
	for _, rv := range []string{"", "0"} {
		t.Run("rv="+rv, func(t *testing.T) {
			w := startWatch(t, ctx, s, Prefix("ns"), storage.ListOptions{Recursive: true, ResourceVersion: rv})
			seen := map[string]bool{}
			for range 2 {
				e := expect(t, w, watch.Added, "", 0)
				seen[e.Object.(*corev1.Pod).Name] = true
			}
			if !seen["a"] || !seen["b"] {
				t.Fatalf("initial ADDED for %v, want a and b", seen)
			}
			NoEvent(t, w)
		})
	}
	// sendInitialEvents=false with RV "": changes only, from now.
	w := startWatch(t, ctx, s, Prefix("ns"), storage.ListOptions{Recursive: true, SendInitialEvents: ptr(false)})
	NoEvent(t, w)
	mustUpdate(t, ctx, s, "ns", "b", setLabel("x", "1"))
	e := expect(t, w, watch.Modified, "b", 0)
	if rvOf(t, e.Object) <= rvOf(t, b) {
		t.Fatal("stale rv")
	}
}

func testWatchSelectorTransitions(t *testing.T, ctx context.Context, env Env) {
	s := env.Store
	start := mustCreate(t, ctx, s, Pod("ns", "a", "app", "db"))
	w := startWatch(t, ctx, s, Prefix("ns"), storage.ListOptions{Recursive: true, ResourceVersion: start.ResourceVersion, Predicate: Selector("app=web")})
	mustCreate(t, ctx, s, Pod("ns", "b", "app", "db"))
	in := mustUpdate(t, ctx, s, "ns", "a", setLabel("app", "web"))
	mod := mustUpdate(t, ctx, s, "ns", "a", setLabel("x", "1"))
	out := mustUpdate(t, ctx, s, "ns", "a", setLabel("app", "db"))
	expect(t, w, watch.Added, "a", rvOf(t, in))
	expect(t, w, watch.Modified, "a", rvOf(t, mod))
	e := expect(t, w, watch.Deleted, "a", rvOf(t, out))
	if e.Object.(*corev1.Pod).Labels["app"] != "web" {
		t.Fatalf("DELETED for a selector exit carries %v, want the last matching state", e.Object.(*corev1.Pod).Labels)
	}
	mustDelete(t, ctx, s, "ns", "a") // no longer matching: no event
	mustCreate(t, ctx, s, Pod("ns", "c", "app", "web"))
	expect(t, w, watch.Added, "c", 0)
	NoEvent(t, w)

	// Field selector with initial state.
	w2 := startWatch(t, ctx, s, Prefix(""), storage.ListOptions{Recursive: true, ResourceVersion: "0", Predicate: fieldSel("metadata.name=c")})
	expect(t, w2, watch.Added, "c", 0)
	NoEvent(t, w2)
}

func testWatchSendInitialEvents(t *testing.T, ctx context.Context, env Env) {
	s := env.Store
	mustCreate(t, ctx, s, Pod("ns", "a", "app", "web"))
	mustCreate(t, ctx, s, Pod("ns", "b", "app", "db"))
	last := mustCreate(t, ctx, s, Pod("ns", "c", "app", "web"))
	for _, rv := range []string{"", "0", last.ResourceVersion} {
		t.Run("rv="+rv, func(t *testing.T) {
			w := startWatch(t, ctx, s, Prefix("ns"), storage.ListOptions{
				Recursive: true, ResourceVersion: rv, SendInitialEvents: ptr(true),
				ProgressNotify: true, Predicate: Selector("app=web"),
			})
			seen := map[string]bool{}
			for range 2 {
				e := expect(t, w, watch.Added, "", 0)
				seen[e.Object.(*corev1.Pod).Name] = true
			}
			if !seen["a"] || !seen["c"] {
				t.Fatalf("initial events for %v, want a and c", seen)
			}
			e := NextEvent(t, w)
			if e.Type != watch.Bookmark {
				t.Fatalf("got %s %s, want the initial-events-end BOOKMARK", e.Type, describe(e.Object))
			}
			p, ok := e.Object.(*corev1.Pod)
			if !ok || p.Annotations[metav1.InitialEventsAnnotationKey] != "true" || p.Name != "" {
				t.Fatalf("bookmark object %#v", e.Object)
			}
			if rvOf(t, p) < rvOf(t, last) {
				t.Fatalf("bookmark rv %s older than the last write %s", p.ResourceVersion, last.ResourceVersion)
			}
		})
	}
}

func testCount(t *testing.T, ctx context.Context, env Env) {
	s := env.Store
	for i := range 3 {
		mustCreate(t, ctx, s, Pod("ns", fmt.Sprint("p", i)))
	}
	mustCreate(t, ctx, s, Pod("ns-other", "x"))
	for _, tc := range []struct {
		key  string
		want int64
	}{{Prefix(""), 4}, {Prefix("ns"), 3}, {"/registry/pods/ns", 3}, {Prefix("none"), 0}} {
		n, err := s.Count(ctx, tc.key)
		if err != nil || n != tc.want {
			t.Fatalf("Count(%s) = %d, %v; want %d", tc.key, n, err, tc.want)
		}
	}
}
