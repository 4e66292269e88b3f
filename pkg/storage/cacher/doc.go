// Package cacher is the watch cache: a storage.Interface in front of the
// etcd3 store that serves lists and watches from memory.
//
// One Cacher per resource keeps one underlying watch on the resource's
// key prefix (list, then watch from the list's revision; on any error the
// watchers are closed and the cache re-lists), the current objects by key,
// and a ring buffer of recent events (at least 1,000, its buffer growing
// to that as events come; it grows to hold 75 s of events under churn, up
// to 102,400, and shrinks back when they go stale, as upstream's watch
// cache does). A Lazy cache does its first list at the first read it
// answers rather than in New; a watch from before that list goes to the
// store. Writes, Count, Get with RV "" and
// the lists memory cannot answer (Exact revisions, continue tokens,
// Limit with RV "" or "N") go to the store; updates and deletes take the
// cached object along as their first guess (cachedExisting), which spares
// the store its read when the cache is current. Every client watch is one
// goroutine fed by a fan-out that waits at most 50ms per event for full
// watcher buffers: a watcher that falls behind is closed instead of
// slowing the others, as upstream's cacher does.
//
// Objects are decoded once and shared: watch events carry the cached
// pointers and list items are shallow copies sharing maps and slices with
// the cache. Callers must treat them as read-only (the API layer only
// encodes them) and DeepCopy before mutating. Get returns a deep copy.
//
// They are encoded once too: every cached object version is wrapped in a
// storage.CachedObject that keeps its serialized forms. ListCachedObjects
// and watches with ListOptions.CachedObjects hand out those wrappers, so
// the API layer writes the bytes an earlier list or watcher computed; the
// objects a watch derives (bookmarks, the DELETED for an update leaving a
// selector) are built once per event and shared by all watchers.
package cacher
