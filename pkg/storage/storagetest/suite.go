package storagetest

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/storage"
)

// Env is what a case gets: the store under test, the etcd client behind
// it (to compact or read raw values) and a way to build another store
// on the same etcd (e.g. a cache started after a compaction).
type Env struct {
	Store  storage.Interface
	Client *clientv3.Client
	New    func() storage.Interface
	// NewOn builds another store on a client of the case's own (e.g. one
	// whose KV counts the reads).
	NewOn func(client *clientv3.Client) storage.Interface
}

// Factory builds the implementation under test on client. Stores it
// builds must be released by t.Cleanup.
type Factory func(t *testing.T, client *clientv3.Client) storage.Interface

// Case is one conformance test.
type Case struct {
	Name string
	Run  func(t *testing.T, ctx context.Context, env Env)
}

// Run runs every case in Cases against the implementation built by
// newStore, each on its own embedded etcd.
func Run(t *testing.T, newStore Factory) {
	for _, c := range Cases {
		t.Run(c.Name, func(t *testing.T) {
			client := StartEtcd(t)
			env := Env{Client: client, New: func() storage.Interface { return newStore(t, client) },
				NewOn: func(c *clientv3.Client) storage.Interface { return newStore(t, c) }}
			env.Store = env.New()
			c.Run(t, context.Background(), env)
		})
	}
}

func rvOf(t testing.TB, obj runtime.Object) int64 {
	t.Helper()
	m, err := metaAccessor(obj)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(m.GetResourceVersion(), 10, 64)
	if err != nil {
		t.Fatalf("resourceVersion %q: %v", m.GetResourceVersion(), err)
	}
	return n
}

func mustCreate(t testing.TB, ctx context.Context, s storage.Interface, p *corev1.Pod) *corev1.Pod {
	t.Helper()
	out := &corev1.Pod{}
	if err := s.Create(ctx, Key(p.Namespace, p.Name), p, out); err != nil {
		t.Fatalf("create %s/%s: %v", p.Namespace, p.Name, err)
	}
	return out
}

func setLabel(k, v string) storage.UpdateFunc {
	return func(cur runtime.Object) (runtime.Object, error) {
		p := cur.(*corev1.Pod)
		if p.Labels == nil {
			p.Labels = map[string]string{}
		}
		p.Labels[k] = v
		return p, nil
	}
}

func mustUpdate(t testing.TB, ctx context.Context, s storage.Interface, ns, name string, f storage.UpdateFunc) *corev1.Pod {
	t.Helper()
	out := &corev1.Pod{}
	if err := s.GuaranteedUpdate(ctx, Key(ns, name), out, false, nil, f, nil); err != nil {
		t.Fatalf("update %s/%s: %v", ns, name, err)
	}
	return out
}

func mustDelete(t testing.TB, ctx context.Context, s storage.Interface, ns, name string) *corev1.Pod {
	t.Helper()
	out := &corev1.Pod{}
	if err := s.Delete(ctx, Key(ns, name), out, nil, nil, nil); err != nil {
		t.Fatalf("delete %s/%s: %v", ns, name, err)
	}
	return out
}

func list(t testing.TB, ctx context.Context, s storage.Interface, prefix string, opts storage.ListOptions) *corev1.PodList {
	t.Helper()
	opts.Recursive = true
	l := &corev1.PodList{}
	if err := s.GetList(ctx, prefix, opts, l); err != nil {
		t.Fatalf("list %s %+v: %v", prefix, opts, err)
	}
	return l
}

func names(l *corev1.PodList) string {
	var b bytes.Buffer
	for i, p := range l.Items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.Name)
	}
	return b.String()
}

func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
}

func compact(t testing.TB, ctx context.Context, c *clientv3.Client) int64 {
	t.Helper()
	r, err := c.Get(ctx, "compact_rev_key")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compact(ctx, r.Header.Revision); err != nil {
		t.Fatal(err)
	}
	return r.Header.Revision
}

func startWatch(t testing.TB, ctx context.Context, s storage.Interface, key string, opts storage.ListOptions) watch.Interface {
	t.Helper()
	w, err := s.Watch(ctx, key, opts)
	if err != nil {
		t.Fatalf("watch %s %+v: %v", key, opts, err)
	}
	t.Cleanup(w.Stop)
	return w
}

// expect reads the next event and checks its type, pod name and (if
// rv > 0) resourceVersion.
func expect(t testing.TB, w watch.Interface, typ watch.EventType, name string, rv int64) watch.Event {
	t.Helper()
	e := NextEvent(t, w)
	if e.Type != typ {
		t.Fatalf("event %s %s, want %s %s", e.Type, describe(e.Object), typ, name)
	}
	if name != "" {
		p, ok := e.Object.(*corev1.Pod)
		if !ok || p.Name != name {
			t.Fatalf("event %s %s, want %s %s", e.Type, describe(e.Object), typ, name)
		}
	}
	if rv > 0 && rvOf(t, e.Object) != rv {
		t.Fatalf("event %s %s, want resourceVersion %d", e.Type, describe(e.Object), rv)
	}
	return e
}

func ptr[T any](v T) *T { return &v }

// fieldSel builds a field predicate.
func fieldSel(sel string) storage.Predicate {
	s, err := fields.ParseSelector(sel)
	if err != nil {
		panic(err)
	}
	return storage.Predicate{Field: s, GetAttrs: PodAttrs}
}
