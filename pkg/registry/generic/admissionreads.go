package generic

import (
	"context"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Reads for admission. Upstream's admission plugins (LimitRanger,
// Priority, NamespaceLifecycle) read informer caches, not etcd: a
// consistent read per pod create would cost etcd round trips (and here a
// progress request to bring the watch cache up to date) on the hottest
// write path. ListFromCache and GetFromCache read the watch cache
// instead, at a resourceVersion no older than this store's own last
// write, so a client that wrote through this server (a LimitRange, a PriorityClass) and then
// creates a pod is admitted against its write — upstream promises less.
// Writes through another API server show up as soon as the watch delivers
// them, as with upstream's informers.

// noteWrite records the revision of a successful write (obj is what the
// storage returned).
func (s *Store) noteWrite(obj runtime.Object) {
	rv, err := strconv.ParseInt(objectMeta(obj).GetResourceVersion(), 10, 64)
	if err != nil {
		return
	}
	for {
		cur := s.written.Load()
		if rv <= cur || s.written.CompareAndSwap(cur, rv) {
			return
		}
	}
}

// cachedRV is the resourceVersion for a read that must see this store's
// own writes: its last write's revision, or "0" (anything cached).
func (s *Store) cachedRV() string {
	if rv := s.written.Load(); rv > 0 {
		return strconv.FormatInt(rv, 10)
	}
	return "0"
}

// ListFromCache lists ns ("" = all) from the watch cache; see above. If the
// cache cannot answer (not ready, or not caught up in time) it lists
// from etcd.
func (s *Store) ListFromCache(ctx context.Context, ns string) (runtime.Object, error) {
	list, err := s.List(ctx, ns, &metav1.ListOptions{ResourceVersion: s.cachedRV()})
	if err != nil && ctx.Err() == nil {
		return s.List(ctx, ns, &metav1.ListOptions{})
	}
	return list, err
}

// GetFromCache returns one object from the watch cache; see above. A miss
// (or a cache that cannot answer) is confirmed against etcd, so an object
// just created through another server is still found.
func (s *Store) GetFromCache(ctx context.Context, ns, name string) (runtime.Object, error) {
	obj, err := s.Get(ctx, ns, name, &metav1.GetOptions{ResourceVersion: s.cachedRV()})
	if err != nil && ctx.Err() == nil {
		return s.Get(ctx, ns, name, nil)
	}
	return obj, err
}
