package cacher

import (
	"slices"
	"sort"
	"strings"
)

// objectIndex holds the current entries by key, and in key order so
// that a list or a watch's initial events read a prefix as one range
// instead of scanning and sorting every key. Callers hold Cacher.mu.
type objectIndex struct {
	byKey  map[string]*entry
	sorted []*entry // by key
}

// newObjectIndex indexes entries (by key, as their key fields say).
func newObjectIndex(entries map[string]*entry) objectIndex {
	x := objectIndex{byKey: entries, sorted: make([]*entry, 0, len(entries))}
	for _, e := range entries {
		x.sorted = append(x.sorted, e)
	}
	slices.SortFunc(x.sorted, func(a, b *entry) int { return strings.Compare(a.key, b.key) })
	return x
}

func (x *objectIndex) len() int { return len(x.byKey) }

func (x *objectIndex) get(key string) (*entry, bool) {
	e, ok := x.byKey[key]
	return e, ok
}

// search returns the position of key in sorted (or where it would go).
func (x *objectIndex) search(key string) int {
	return sort.Search(len(x.sorted), func(i int) bool { return x.sorted[i].key >= key })
}

// set adds e or replaces the entry with e's key.
func (x *objectIndex) set(e *entry) {
	i := x.search(e.key)
	if _, ok := x.byKey[e.key]; ok {
		x.sorted[i] = e
	} else {
		x.sorted = slices.Insert(x.sorted, i, e)
	}
	x.byKey[e.key] = e
}

func (x *objectIndex) delete(key string) {
	if _, ok := x.byKey[key]; !ok {
		return
	}
	delete(x.byKey, key)
	i := x.search(key)
	x.sorted = slices.Delete(x.sorted, i, i+1)
}

// prefix returns (a copy of) the entries whose key starts with p, in key
// order.
func (x *objectIndex) prefix(p string) []*entry {
	from := x.search(p)
	to := from + sort.Search(len(x.sorted)-from, func(i int) bool {
		return !strings.HasPrefix(x.sorted[from+i].key, p)
	})
	return slices.Clone(x.sorted[from:to])
}
