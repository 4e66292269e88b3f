package storage

import (
	"context"
	"errors"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
)

// Sentinel errors. Implementations wrap them (fmt.Errorf("%w")) so callers
// test with errors.Is; the registry turns them into metav1.Status errors.
var (
	ErrNotFound  = errors.New("not found")
	ErrKeyExists = errors.New("key exists")
	// ErrConflict: a precondition (UID or ResourceVersion) did not hold.
	ErrConflict = errors.New("conflict")
	// ErrExpired: the requested resourceVersion (or continue token) has
	// been compacted away. Maps to 410 Gone, reason Expired.
	ErrExpired = errors.New("resource version expired")
	// ErrTooLarge: the requested resourceVersion is newer than the store
	// has seen. Maps to 504 with cause ResourceVersionTooLarge.
	ErrTooLarge = errors.New("resource version too large")
	// ErrInvalidContinue: a continue token that does not parse. 400.
	ErrInvalidContinue = errors.New("invalid continue token")
)

// RVError carries the numbers behind ErrExpired / ErrTooLarge so the API
// can print upstream's messages ("too old resource version: 5 (10)").
type RVError struct {
	Err       error // ErrExpired or ErrTooLarge
	Requested int64
	Current   int64 // the store's current (or oldest kept) revision
	// Continue (added for expired continue tokens): a fresh token that
	// resumes the list where the expired one would have, at the latest
	// revision — upstream returns it in the 410's ListMeta-less Status as
	// metadata.continue so clients may accept an inconsistent list.
	// Empty for any other error.
	Continue string
}

func (e *RVError) Error() string { return e.Err.Error() }
func (e *RVError) Unwrap() error { return e.Err }

// Preconditions must hold for an update or delete to proceed; a failed
// precondition returns an error wrapping ErrConflict.
type Preconditions struct {
	UID             *types.UID
	ResourceVersion *string
}

// AttrFunc returns the labels and selectable fields of an object, used to
// evaluate label and field selectors. Every resource's fields include
// metadata.name and metadata.namespace (when namespaced).
type AttrFunc func(obj runtime.Object) (labels.Set, fields.Set, error)

// Predicate filters list and watch results.
type Predicate struct {
	Label    labels.Selector // nil or Everything() = all
	Field    fields.Selector // nil or Everything() = all
	GetAttrs AttrFunc        // required when Label or Field is not empty
	Limit    int64           // list page size; 0 = unlimited
	Continue string          // opaque token from a previous page
}

// Matches reports whether obj passes the selectors.
func (p Predicate) Matches(obj runtime.Object) (bool, error) {
	if p.Empty() {
		return true, nil
	}
	ls, fs, err := p.GetAttrs(obj)
	if err != nil {
		return false, err
	}
	if p.Label != nil && !p.Label.Matches(ls) {
		return false, nil
	}
	if p.Field != nil && !p.Field.Matches(fs) {
		return false, nil
	}
	return true, nil
}

// Empty reports whether the predicate selects everything.
func (p Predicate) Empty() bool {
	return (p.Label == nil || p.Label.Empty()) && (p.Field == nil || p.Field.Empty())
}

// ResourceVersionMatch mirrors metav1.ResourceVersionMatch.
type ResourceVersionMatch string

const (
	MatchDefault      ResourceVersionMatch = ""
	MatchNotOlderThan ResourceVersionMatch = "NotOlderThan"
	MatchExact        ResourceVersionMatch = "Exact"
)

// ListOptions are the storage-level list/watch options.
//
// ResourceVersion semantics (as upstream):
//   - List, RV "": a consistent read at the current revision.
//   - List, RV "0": any revision is fine (served from cache if there is one).
//   - List, RV "N": at a revision not older than N (Exact: exactly N).
//   - Watch, RV "" or "0": first an ADDED event for every current object
//     (the synthetic initial state), then changes.
//   - Watch, RV "N": only changes after N; if N is compacted the watch
//     returns ErrExpired (wrapped in *RVError).
type ListOptions struct {
	ResourceVersion      string
	ResourceVersionMatch ResourceVersionMatch
	Predicate            Predicate
	// Recursive: key is a prefix (list/watch a collection) rather than one key.
	Recursive bool
	// ProgressNotify asks watches to emit watch.Bookmark events carrying
	// only metadata.resourceVersion (allowWatchBookmarks=true).
	ProgressNotify bool
	// SendInitialEvents (WatchList): with RV "" or "0"/N, first ADDED for
	// every object in the snapshot, then one Bookmark whose object has
	// annotation "k8s.io/initial-events-end": "true", then changes.
	SendInitialEvents *bool
	// CachedObjects (Watch only): an implementation that keeps objects
	// in memory (CachedObjectLister) sends each event's object as a
	// *CachedObject, shared with every other watcher, so an encoder
	// serializes it once per format. Other implementations ignore it:
	// consumers must accept both.
	CachedObjects bool
}

// UpdateFunc computes a new object from the current one. Returning an
// error aborts the update with that error. It may be called more than
// once (on CAS retries), so it must not have side effects.
type UpdateFunc func(current runtime.Object) (updated runtime.Object, err error)

// ProgressRequester is an optional interface of an Interface whose
// watches can report progress on demand (storage/etcd3 implements it).
// The watch cache uses it to serve consistent (RV "") reads from memory:
// it learns the current revision, then asks its own watch to catch up.
// Without it, the cache sends consistent reads to the store.
type ProgressRequester interface {
	// CurrentRevision returns the store's latest revision (a quorum read).
	CurrentRevision(ctx context.Context) (int64, error)
	// RequestWatchProgress asks the watches that were opened with ctx (or
	// a context derived from it, with no other metadata) and with
	// ListOptions.ProgressNotify to emit a Bookmark at the latest revision
	// once every earlier event has been sent. It is a hint: a Bookmark may
	// be late or not come, and callers need a timeout.
	RequestWatchProgress(ctx context.Context) error
}

// Interface is the key-value contract between the generic registry and
// etcd. Keys are full etcd keys ("/registry/pods/default/web"). Objects
// carry their resourceVersion in metadata; implementations set it from
// the etcd ModRevision on everything they return. Every method is safe
// for concurrent use.
type Interface interface {
	// Create stores obj under key if key does not exist, else returns
	// ErrKeyExists. out receives the stored object with its
	// resourceVersion. obj must have an empty resourceVersion.
	Create(ctx context.Context, key string, obj, out runtime.Object) error

	// Get decodes the object at key into out. ErrNotFound if absent.
	// resourceVersion "" reads the latest; other values as in
	// ListOptions may be served from a cache.
	Get(ctx context.Context, key string, resourceVersion string, out runtime.Object) error

	// GuaranteedUpdate reads key, calls tryUpdate and writes the result with
	// compare-and-swap on the ModRevision, retrying on races. If the key is
	// absent: with ignoreNotFound tryUpdate gets a zero object (create-on-
	// update), otherwise ErrNotFound. preconditions are checked against the
	// current object on every attempt. If tryUpdate returns an object equal
	// to the current one, nothing is written and out is the current object.
	//
	// cachedExisting, when not nil, is a copy of the object at key that may
	// be stale (a watch cache's, or what the caller just read), carrying the
	// resourceVersion it was read at. The implementation may start from it
	// instead of reading the key: tryUpdate gets a private copy, and the
	// compare-and-swap on its resourceVersion fails if it was stale, after
	// which the update is retried on the stored object. Nothing is ever
	// written, and no error (failed precondition, tryUpdate's) and no
	// "nothing changed" result is returned, on the strength of
	// cachedExisting alone: those are confirmed against the stored object
	// first. cachedExisting is read-only (it may be shared). An
	// implementation that has a cache of its own may supply its copy when
	// cachedExisting is nil.
	GuaranteedUpdate(ctx context.Context, key string, out runtime.Object, ignoreNotFound bool,
		preconditions *Preconditions, tryUpdate UpdateFunc, cachedExisting runtime.Object) error

	// Delete removes key (CAS on the revision that was checked against
	// preconditions and validate). out receives the last state. validate
	// may veto (its error is returned); ErrNotFound if absent.
	// cachedExisting is as for GuaranteedUpdate: a first guess at the
	// current object, never trusted for a veto or a deletion without the
	// compare-and-swap or a read confirming it.
	Delete(ctx context.Context, key string, out runtime.Object, preconditions *Preconditions,
		validate func(current runtime.Object) error, cachedExisting runtime.Object) error

	// GetList lists objects under key (a prefix when opts.Recursive) into
	// listObj (a *XxxList), sets ListMeta.resourceVersion, and, with a
	// Limit, ListMeta.continue / remainingItemCount. Pages of one list all
	// read the same revision; an expired continue token returns ErrExpired.
	GetList(ctx context.Context, key string, opts ListOptions, listObj runtime.Object) error

	// Watch streams changes under key (a prefix when opts.Recursive) as in
	// ListOptions. The result channel closes when ctx ends or Stop is
	// called. Objects in DELETED events are the last state with the
	// deletion's revision as resourceVersion. A compacted start revision
	// yields ErrExpired (an *RVError) from Watch itself.
	//
	// Errors after the watch started (etcd compacted past a lagging watch,
	// etcd failed) end the stream with one watch.Error event whose object
	// is a *metav1.Status (410 Expired "too old resource version: N (M)",
	// or 500); the API layer forwards it as the ERROR event. A watch may
	// also just close (e.g. the watch cache dropped a watcher too slow to
	// keep up, as upstream does); clients re-watch from the last
	// resourceVersion they saw.
	Watch(ctx context.Context, key string, opts ListOptions) (watch.Interface, error)

	// Count returns how many keys are under the prefix key.
	Count(ctx context.Context, key string) (int64, error)
}

// CachedObjectLister is an optional interface of an Interface that
// serves lists from memory (storage/cacher), for callers that only encode
// the result: the items are the cached objects themselves, each carrying
// the encodings earlier requests computed, instead of copies in a typed
// list.
type CachedObjectLister interface {
	// ListCachedObjects is GetList with the result as a
	// CachedObjectList: the same items, resourceVersion, continue token
	// and errors. The objects are shared and read-only. Lists the
	// implementation reads from its backing store come back wrapped too
	// (with nothing cached yet).
	ListCachedObjects(ctx context.Context, key string, opts ListOptions) (*CachedObjectList, error)
}
