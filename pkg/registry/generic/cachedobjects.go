package generic

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/storage"
)

// Lists and watches for the API's encoders. A watch cache hands out its
// objects themselves, each wrapped in a *storage.CachedObject that keeps
// its encodings, so a pod listed by a hundred clients or sent to a
// thousand watchers is serialized once per format. The objects are
// shared: read-only.

// ListCachedObjects is List with the items as cached objects. ok is false
// when the storage keeps no objects in memory; then use List.
func (s *Store) ListCachedObjects(ctx context.Context, ns string, opts *metav1.ListOptions) (list *storage.CachedObjectList, ok bool, err error) {
	lister, ok := s.Storage.(storage.CachedObjectLister)
	if !ok {
		return nil, false, nil
	}
	sopts, err := s.storageListOptions(opts)
	if err != nil {
		return nil, true, err
	}
	list, err = lister.ListCachedObjects(ctx, s.prefix(ns), sopts)
	if err != nil {
		return nil, true, s.toAPIError(err, "")
	}
	return list, true, nil
}

// WatchCachedObjects is Watch whose events carry *storage.CachedObject
// when the storage has them (and the bare objects otherwise).
func (s *Store) WatchCachedObjects(ctx context.Context, ns string, opts *metav1.ListOptions) (watch.Interface, error) {
	sopts, err := s.storageListOptions(opts)
	if err != nil {
		return nil, err
	}
	sopts.ProgressNotify = opts.AllowWatchBookmarks
	sopts.SendInitialEvents = opts.SendInitialEvents
	sopts.CachedObjects = true
	w, err := s.Storage.Watch(ctx, s.prefix(ns), sopts)
	if err != nil {
		return nil, s.toAPIError(err, "")
	}
	return w, nil
}
