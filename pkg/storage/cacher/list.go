package cacher

import (
	"context"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/storage"
)

// GetList implements storage.Interface.
//
// From memory: RV "0" (Limit ignored, as upstream), RV "N" without Limit
// (after waiting for the cache to reach N; ErrTooLarge if it does not
// within WaitTimeout), and RV "" without Limit (after the cache caught
// up with the store's current revision). From the store: continue
// tokens, Exact, and Limit with RV "" or "N", so pages share one etcd
// revision. List items are shallow copies of cached objects: read-only.
func (c *Cacher) GetList(ctx context.Context, key string, opts storage.ListOptions, listObj runtime.Object) error {
	entries, rev, ok, err := c.listEntries(ctx, key, opts)
	if err != nil {
		return err
	}
	if !ok {
		return c.storage.GetList(ctx, key, opts, listObj)
	}
	listMeta, err := meta.ListAccessor(listObj)
	if err != nil {
		return err
	}
	itemsPtr, err := meta.GetItemsPtr(listObj)
	if err != nil {
		return err
	}
	items := reflect.ValueOf(itemsPtr).Elem()
	if items.Kind() == reflect.Slice && items.Type().Elem().Kind() == reflect.Struct {
		out := reflect.MakeSlice(items.Type(), len(entries), len(entries))
		for i, e := range entries {
			v := reflect.ValueOf(e.obj)
			if v.Type().Elem() != items.Type().Elem() {
				return fmt.Errorf("cached %s in a list of %s", v.Type(), items.Type().Elem())
			}
			out.Index(i).Set(v.Elem())
		}
		items.Set(out)
	} else {
		objs := make([]runtime.Object, len(entries))
		for i, e := range entries {
			objs[i] = e.obj
		}
		if err := meta.SetList(listObj, objs); err != nil {
			return err
		}
	}
	listMeta.SetResourceVersion(storage.FormatResourceVersion(rev))
	return nil
}

// ListCachedObjects implements storage.CachedObjectLister: the lists
// GetList serves from memory come back as the cached objects themselves,
// the others from the store, each item wrapped.
func (c *Cacher) ListCachedObjects(ctx context.Context, key string, opts storage.ListOptions) (*storage.CachedObjectList, error) {
	entries, rev, ok, err := c.listEntries(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	if ok {
		out := &storage.CachedObjectList{ResourceVersion: storage.FormatResourceVersion(rev), Items: make([]*storage.CachedObject, len(entries))}
		for i, e := range entries {
			out.Items[i] = e.cached
		}
		return out, nil
	}
	list := c.cfg.NewListFunc()
	if err := c.storage.GetList(ctx, key, opts, list); err != nil {
		return nil, err
	}
	lm, err := meta.ListAccessor(list)
	if err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	out := &storage.CachedObjectList{
		ResourceVersion: lm.GetResourceVersion(), Continue: lm.GetContinue(),
		RemainingItemCount: lm.GetRemainingItemCount(), Items: make([]*storage.CachedObject, len(items)),
	}
	for i, obj := range items {
		out.Items[i] = storage.NewCachedObject(obj)
	}
	return out, nil
}

// listEntries returns the cached entries a list selects, in key order,
// and the cache's revision; ok is false when the list must be read from
// the store (see GetList).
func (c *Cacher) listEntries(ctx context.Context, key string, opts storage.ListOptions) (entries []*entry, rev int64, ok bool, err error) {
	want, err := storage.ParseResourceVersion(opts.ResourceVersion)
	if err != nil {
		return nil, 0, false, err
	}
	limited := opts.Predicate.Limit > 0 && opts.ResourceVersion != "0"
	if !c.covers(key, opts.Recursive) || opts.Predicate.Continue != "" ||
		opts.ResourceVersionMatch == storage.MatchExact || limited {
		return nil, 0, false, nil
	}
	if opts.ResourceVersion == "" && !c.waitFresh(ctx) {
		return nil, 0, false, nil
	}
	if _, err := c.waitFor(ctx, want); err != nil {
		if want == 0 && ctx.Err() == nil {
			return nil, 0, false, nil
		}
		return nil, 0, false, err
	}

	w := &cacheWatcher{key: key, recursive: opts.Recursive}
	if opts.Recursive {
		w.key = storage.PrefixKey(key)
	}
	c.mu.RLock()
	all := c.snapshotLocked(w)
	rev = c.rev
	c.mu.RUnlock()

	if opts.Predicate.Empty() {
		return all, rev, true, nil
	}
	entries = all[:0]
	for _, e := range all {
		if c.matches(opts.Predicate, e) {
			entries = append(entries, e)
		}
	}
	return entries, rev, true, nil
}

// copyInto sets *out = *src for two pointers to the same struct type.
func copyInto(src, out runtime.Object) error {
	sv, ov := reflect.ValueOf(src), reflect.ValueOf(out)
	if sv.Type() != ov.Type() || ov.Kind() != reflect.Pointer {
		return fmt.Errorf("cannot copy %T into %T", src, out)
	}
	ov.Elem().Set(sv.Elem())
	return nil
}

// withRV returns a deep copy of obj with resourceVersion rev.
func withRV(obj runtime.Object, rev int64) (runtime.Object, error) {
	cp := obj.DeepCopyObject()
	m, err := meta.Accessor(cp)
	if err != nil {
		return nil, err
	}
	m.SetResourceVersion(storage.FormatResourceVersion(rev))
	return cp, nil
}
