package storagetest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/storage"
)

// Cases for cachedExisting, the first guess at the current object that
// GuaranteedUpdate and Delete may start from instead of reading etcd.

// countingKV counts the reads of one key and all transactions that a
// store makes through its client.
type countingKV struct {
	clientv3.KV
	key        string
	reads, txn atomic.Int64
}

func (c *countingKV) Get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	if key == c.key {
		c.reads.Add(1)
	}
	return c.KV.Get(ctx, key, opts...)
}

func (c *countingKV) Txn(ctx context.Context) clientv3.Txn {
	c.txn.Add(1)
	return c.KV.Txn(ctx)
}

// countingStore builds a store under test on a client of its own that
// counts reads of key and transactions.
func countingStore(t *testing.T, env Env, key string) (storage.Interface, *countingKV) {
	t.Helper()
	client, err := clientv3.New(clientv3.Config{Endpoints: env.Client.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	kv := &countingKV{KV: client.KV, key: key}
	client.KV = kv
	return env.NewOn(client), kv
}

// calls reports the reads and transactions since the last call.
func (c *countingKV) calls() (reads, txns int64) {
	return c.reads.Swap(0), c.txn.Swap(0)
}

func wantCalls(t *testing.T, kv *countingKV, what string, reads, txns int64) {
	t.Helper()
	if r, x := kv.calls(); r != reads || x != txns {
		t.Fatalf("%s: %d reads and %d transactions, want %d and %d", what, r, x, reads, txns)
	}
}

func testCurrentGuess(t *testing.T, ctx context.Context, env Env) {
	key := Key("ns", "a")
	created := mustCreate(t, ctx, env.Store, Pod("ns", "a"))
	s, kv := countingStore(t, env, key)
	kv.calls()

	out := &corev1.Pod{}
	err := s.GuaranteedUpdate(ctx, key, out, false, &storage.Preconditions{UID: &created.UID, ResourceVersion: &created.ResourceVersion},
		setLabel("x", "1"), created)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, kv, "update on a current guess", 0, 1)
	if out.Labels["x"] != "1" || rvOf(t, out) <= rvOf(t, created) || created.Labels["x"] != "" {
		t.Fatalf("updated %+v from %+v (the guess must stay unmodified)", out.ObjectMeta, created.ObjectMeta)
	}

	gone := &corev1.Pod{}
	if err := s.Delete(ctx, key, gone, &storage.Preconditions{ResourceVersion: &out.ResourceVersion}, nil, out); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, kv, "delete on a current guess", 0, 1)
	if gone.Labels["x"] != "1" || rvOf(t, gone) <= rvOf(t, out) {
		t.Fatalf("deleted %+v", gone.ObjectMeta)
	}
	wantErr(t, env.Store.Get(ctx, key, "", &corev1.Pod{}), storage.ErrNotFound)
}

func testStaleGuess(t *testing.T, ctx context.Context, env Env) {
	key := Key("ns", "a")
	stale := mustCreate(t, ctx, env.Store, Pod("ns", "a"))
	latest := mustUpdate(t, ctx, env.Store, "ns", "a", setLabel("x", "1"))
	s, kv := countingStore(t, env, key)
	kv.calls()

	// The compare-and-swap fails on the stale guess; the retry works on
	// what the transaction read.
	tries := 0
	out := &corev1.Pod{}
	err := s.GuaranteedUpdate(ctx, key, out, false, nil, func(cur runtime.Object) (runtime.Object, error) {
		tries++
		return setLabel("y", "2")(cur)
	}, stale)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, kv, "update on a stale guess", 0, 2)
	if tries != 2 || out.Labels["x"] != "1" || out.Labels["y"] != "2" || rvOf(t, out) <= rvOf(t, latest) {
		t.Fatalf("after %d tries: %+v", tries, out.ObjectMeta)
	}
	latest = out

	// A precondition, an error of tryUpdate and a no-op that hold only
	// on the stale guess are checked again on etcd's object.
	out = &corev1.Pod{}
	err = s.GuaranteedUpdate(ctx, key, out, false, &storage.Preconditions{ResourceVersion: &latest.ResourceVersion},
		setLabel("z", "3"), stale)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, kv, "precondition on a stale guess", 1, 1)
	latest = out
	noY := errors.New("no label y")
	err = s.GuaranteedUpdate(ctx, key, out, false, nil, func(cur runtime.Object) (runtime.Object, error) {
		if cur.(*corev1.Pod).Labels["y"] == "" {
			return nil, noY
		}
		return cur, nil // nothing changes
	}, stale)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, kv, "veto and no-op on a stale guess", 1, 0)
	if out.ResourceVersion != latest.ResourceVersion || out.Labels["z"] != "3" {
		t.Fatalf("no-op returned %+v, want %+v", out.ObjectMeta, latest.ObjectMeta)
	}
	// …and a precondition that fails on etcd's object too fails.
	err = s.GuaranteedUpdate(ctx, key, &corev1.Pod{}, false, &storage.Preconditions{ResourceVersion: &stale.ResourceVersion},
		setLabel("w", "4"), stale)
	wantErr(t, err, storage.ErrConflict)
	err = s.Delete(ctx, key, &corev1.Pod{}, &storage.Preconditions{ResourceVersion: &stale.ResourceVersion}, nil, stale)
	wantErr(t, err, storage.ErrConflict)
	kv.calls()

	// Delete: a veto on the guess alone is confirmed on etcd's object,
	// and out is the state really deleted.
	gone := &corev1.Pod{}
	err = s.Delete(ctx, key, gone, &storage.Preconditions{ResourceVersion: &latest.ResourceVersion}, func(cur runtime.Object) error {
		if cur.(*corev1.Pod).Labels["z"] == "" {
			return noY
		}
		return nil
	}, stale)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, kv, "delete on a stale guess", 1, 1)
	if gone.Labels["z"] != "3" || rvOf(t, gone) <= rvOf(t, latest) {
		t.Fatalf("deleted %+v", gone.ObjectMeta)
	}
	wantErr(t, env.Store.Get(ctx, key, "", &corev1.Pod{}), storage.ErrNotFound)

	// A guess at a deleted object: NotFound, nothing written.
	wantErr(t, s.GuaranteedUpdate(ctx, key, &corev1.Pod{}, false, nil, setLabel("a", "b"), stale), storage.ErrNotFound)
	wantErr(t, s.Delete(ctx, key, &corev1.Pod{}, nil, nil, stale), storage.ErrNotFound)
	wantErr(t, env.Store.Get(ctx, key, "", &corev1.Pod{}), storage.ErrNotFound)
}
