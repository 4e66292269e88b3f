package cacher

import (
	"context"
	"fmt"
	"reflect"
	"strconv"

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
	rv, err := parseRV(opts.ResourceVersion)
	if err != nil {
		return err
	}
	limited := opts.Predicate.Limit > 0 && opts.ResourceVersion != "0"
	if !c.covers(key, opts.Recursive) || opts.Predicate.Continue != "" ||
		opts.ResourceVersionMatch == storage.MatchExact || limited {
		return c.storage.GetList(ctx, key, opts, listObj)
	}
	if opts.ResourceVersion == "" && !c.waitFresh(ctx) {
		return c.storage.GetList(ctx, key, opts, listObj)
	}
	if _, err := c.waitFor(ctx, rv); err != nil {
		if rv == 0 && ctx.Err() == nil {
			return c.storage.GetList(ctx, key, opts, listObj)
		}
		return err
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

	w := &cacheWatcher{key: key, recursive: opts.Recursive}
	if opts.Recursive {
		w.key = prefixKey(key)
	}
	c.mu.RLock()
	entries := c.snapshotLocked(w)
	rev := c.rev
	c.mu.RUnlock()

	matched := make([]runtime.Object, 0, len(entries))
	for _, e := range entries {
		if c.matches(opts.Predicate, e) {
			matched = append(matched, e.obj)
		}
	}
	if items.Kind() == reflect.Slice && items.Type().Elem().Kind() == reflect.Struct {
		out := reflect.MakeSlice(items.Type(), len(matched), len(matched))
		for i, obj := range matched {
			v := reflect.ValueOf(obj)
			if v.Type().Elem() != items.Type().Elem() {
				return fmt.Errorf("cached %s in a list of %s", v.Type(), items.Type().Elem())
			}
			out.Index(i).Set(v.Elem())
		}
		items.Set(out)
	} else if err := meta.SetList(listObj, matched); err != nil {
		return err
	}
	listMeta.SetResourceVersion(formatRV(rev))
	return nil
}

func formatRV(rev int64) string { return strconv.FormatInt(rev, 10) }

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
	m.SetResourceVersion(formatRV(rev))
	return cp, nil
}
