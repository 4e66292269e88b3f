package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
)

// recorder wraps a client's transport: it records the query of every
// request and can cut every open watch stream, which makes reflectors
// restart their watches.
type recorder struct {
	mu      sync.Mutex
	queries []string
	watches []io.Closer
}

func (r *recorder) wrap(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			resp, err := rt.RoundTrip(req)
			r.mu.Lock()
			defer r.mu.Unlock()
			r.queries = append(r.queries, req.Method+" "+req.URL.Path+"?"+req.URL.RawQuery)
			if err == nil && req.URL.Query().Get("watch") == "true" {
				r.watches = append(r.watches, resp.Body)
			}
			return resp, err
		})
	})
	return cfg
}

// cutWatches closes every watch stream opened so far.
func (r *recorder) cutWatches() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.watches {
		w.Close()
	}
	r.watches = nil
}

// count returns how many recorded requests satisfy match.
func (r *recorder) count(match func(q string) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.queries {
		if match(q) {
			n++
		}
	}
	return n
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func isWatchList(q string) bool {
	return contains(q, "watch=true") && contains(q, "sendInitialEvents=true")
}

func isPlainList(q string) bool { return !contains(q, "watch=true") }

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func cm(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"k": "v"}}
}

// informerEvents is a ConfigMap informer's view: the last seen data per
// name, and the deleted names.
type informerEvents struct {
	mu      sync.Mutex
	data    map[string]string
	deleted map[string]bool
}

func (e *informerEvents) handler() cache.ResourceEventHandlerFuncs {
	set := func(obj interface{}) {
		c := obj.(*corev1.ConfigMap)
		e.mu.Lock()
		e.data[c.Name] = c.Data["k"]
		e.mu.Unlock()
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    set,
		UpdateFunc: func(_, obj interface{}) { set(obj) },
		DeleteFunc: func(obj interface{}) {
			if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			e.mu.Lock()
			e.deleted[obj.(*corev1.ConfigMap).Name] = true
			e.mu.Unlock()
		},
	}
}

func (e *informerEvents) has(name, value string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.data[name] == value
}

func (e *informerEvents) isDeleted(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.deleted[name]
}

// startInformer starts a ConfigMap informer on ns with client-go's
// defaults (WatchList on) and waits for it to sync.
func startInformer(t *testing.T, ctx context.Context, cfg *rest.Config, ns string) (*informerEvents, cache.SharedIndexInformer) {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(ns))
	inf := f.Core().V1().ConfigMaps().Informer()
	ev := &informerEvents{data: map[string]string{}, deleted: map[string]bool{}}
	if _, err := inf.AddEventHandler(ev.handler()); err != nil {
		t.Fatal(err)
	}
	f.Start(ctx.Done())
	t.Cleanup(f.Shutdown)
	syncCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if !cache.WaitForCacheSync(syncCtx.Done(), inf.HasSynced) {
		t.Fatal("informer did not sync")
	}
	return ev, inf
}

// TestInformer: a SharedInformerFactory with client-go defaults syncs
// through WatchList (sendInitialEvents=true, no LIST) and sees adds,
// updates and deletes.
func TestInformer(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cms := s.Client.CoreV1().ConfigMaps("default")
	if _, err := cms.Create(ctx, cm("before"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	ev, _ := startInformer(t, ctx, rec.wrap(s.RESTConfig), "default")
	if !ev.has("before", "v") {
		t.Errorf("initial events missed the existing ConfigMap")
	}
	if rec.count(isWatchList) == 0 || rec.count(isPlainList) != 0 {
		t.Errorf("informer did not sync through WatchList: %v", rec.queries)
	}

	c, err := cms.Create(ctx, cm("a"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "add", func(context.Context) (bool, error) { return ev.has("a", "v"), nil })
	c.Data["k"] = "v2"
	if _, err := cms.Update(ctx, c, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "update", func(context.Context) (bool, error) { return ev.has("a", "v2"), nil })
	if err := cms.Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "delete", func(context.Context) (bool, error) { return ev.isDeleted("a"), nil })

	// A stale update (old resourceVersion) is a 409 Conflict.
	stale := c.DeepCopy()
	if _, err := cms.Create(ctx, cm("b"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	b, _ := cms.Get(ctx, "b", metav1.GetOptions{})
	b.Data["k"] = "x"
	if _, err := cms.Update(ctx, b.DeepCopy(), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	b.Data["k"] = "y"
	if _, err := cms.Update(ctx, b, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("stale update: want 409 Conflict, got %v", err)
	}
	_ = stale
}

// TestWatchResumesAcrossRestart: a watch from the last seen
// resourceVersion, opened after a restart on the same data dir, delivers
// exactly the changes made after it.
func TestWatchResumesAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s := testserver.Start(t, dir)
	ctx := context.Background()
	c, err := s.Client.CoreV1().ConfigMaps("default").Create(ctx, cm("a"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lastSeen := c.ResourceVersion
	s.Close()

	s = testserver.Start(t, dir)
	cms := s.Client.CoreV1().ConfigMaps("default")
	c.Data["k"] = "v2"
	if _, err := cms.Update(ctx, c, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update after restart with pre-restart resourceVersion: %v", err)
	}
	if _, err := cms.Create(ctx, cm("b"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	w, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: lastSeen})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	want := []string{"MODIFIED a v2", "ADDED b v", "DELETED a v2"}
	for i, wantEv := range want {
		select {
		case ev := <-w.ResultChan():
			got := string(ev.Type)
			if c, ok := ev.Object.(*corev1.ConfigMap); ok {
				got += " " + c.Name + " " + c.Data["k"]
			} else {
				got += fmt.Sprintf(" %#v", ev.Object)
			}
			if got != wantEv {
				t.Fatalf("event %d = %q, want %q", i, got, wantEv)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("event %d (%s) not delivered", i, wantEv)
		}
	}
}

// TestCompactedResourceVersion: after etcd compaction (and a restart, so
// no watch cache still holds the old events) a watch or exact list from
// an old resourceVersion is 410 Expired, and an informer whose watch
// broke relists and converges.
func TestCompactedResourceVersion(t *testing.T) {
	dir := t.TempDir()
	s := testserver.Start(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	createNamespace(t, s, "watched")
	rec := &recorder{}
	ev, _ := startInformer(t, ctx, rec.wrap(s.RESTConfig), "watched")

	cms := s.Client.CoreV1().ConfigMaps("default")
	first, err := cms.Create(ctx, cm("old"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var last *corev1.ConfigMap
	for i := range 5 {
		if last, err = cms.Create(ctx, cm("c"+strconv.Itoa(i)), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	rev, _ := strconv.ParseInt(last.ResourceVersion, 10, 64)
	if _, err := s.EtcdClient().Compact(ctx, rev); err != nil {
		t.Fatal(err)
	}
	// Restart on the same port, so the informer's client reconnects.
	cfg := s.Config
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SecurePort, err = strconv.Atoi(u.Port()); err != nil {
		t.Fatal(err)
	}
	initial := rec.count(isWatchList) + rec.count(isPlainList)
	s.Close()
	rec.cutWatches()
	s = testserver.StartWithConfig(t, cfg)
	cms = s.Client.CoreV1().ConfigMaps("default")

	w, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: first.ResourceVersion})
	if err != nil {
		t.Fatalf("watch from compacted rv: want an ERROR event, got %v", err)
	}
	select {
	case e := <-w.ResultChan():
		st, ok := e.Object.(*metav1.Status)
		if e.Type != watch.Error || !ok || st.Code != http.StatusGone || st.Reason != metav1.StatusReasonExpired {
			t.Errorf("watch from compacted rv: got %s %#v, want ERROR 410 Expired", e.Type, e.Object)
		}
	case <-time.After(10 * time.Second):
		t.Error("watch from compacted rv: no event")
	}
	w.Stop()
	_, err = cms.List(ctx, metav1.ListOptions{ResourceVersion: first.ResourceVersion, ResourceVersionMatch: metav1.ResourceVersionMatchExact})
	if !apierrors.IsResourceExpired(err) && !apierrors.IsGone(err) {
		t.Errorf("exact list at compacted rv: want 410 Expired, got %v", err)
	}

	// The informer last saw a revision before the compaction: its
	// re-watch from there gets 410 and the reflector relists.
	controllertest.Eventually(t, "reflector relist", func(context.Context) (bool, error) {
		return rec.count(isWatchList)+rec.count(isPlainList) > initial, nil
	})
	if _, err := s.Client.CoreV1().ConfigMaps("watched").Create(ctx, cm("after"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "informer sees a create after the relist", func(context.Context) (bool, error) { return ev.has("after", "v"), nil })
}
