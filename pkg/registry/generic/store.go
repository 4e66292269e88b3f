package generic

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/storage"
)

// Store serves one resource over a storage.Interface. All methods are safe
// for concurrent use; objects they return are owned by the caller.
type Store struct {
	Resource api.Resource
	// KeyRoot is the etcd key prefix without trailing slash,
	// e.g. "/registry/pods"; keys are KeyRoot/<ns>/<name> or KeyRoot/<name>.
	KeyRoot  string
	Storage  storage.Interface
	Strategy Strategy
	// Admission is the admission chain every create and update through
	// the main endpoint or a subresource runs (step 4 of writepath.go).
	Admission Chain
	// Allocator, when set, hands out what objects hold outside etcd
	// (Service ClusterIPs and NodePorts): after admission on every create
	// and update, released when a write fails or the object lets go.
	Allocator Allocator
	// BeforeDelete refuses a delete of name before anything is read or
	// written (namespaces that may not be deleted).
	BeforeDelete func(name string) error
	// NewFunc and NewListFunc, when set, build the empty objects New and
	// NewList return instead of api.Scheme: custom resources are
	// unstructured objects of a kind the scheme does not know.
	NewFunc, NewListFunc func() runtime.Object
	// Scaler, set for resources with a …/scale subresource, is what that
	// subresource reads and writes.
	Scaler Scaler

	// written is the revision of this store's latest write (admissionreads.go).
	written atomic.Int64
}

// Allocator reserves and frees what a resource's objects hold outside
// etcd. The store calls it in step 4 of the write path (writepath.go),
// after admission, so a write admission refuses allocates nothing.
type Allocator interface {
	// Allocate reserves what obj needs that old (nil on create) does not
	// already hold, and may fill in obj (a picked ClusterIP). undo gives
	// back what this call reserved; the store calls it when the write
	// fails or is retried. A dry run reserves nothing.
	Allocate(ctx context.Context, obj, old runtime.Object, dryRun bool) (undo func(), err error)
	// Release frees what old holds that obj does not: after an update
	// is stored, and after a delete (obj nil).
	Release(old, obj runtime.Object)
}

// New returns an empty object of the resource's kind.
func (s *Store) New() runtime.Object {
	if s.NewFunc != nil {
		return s.NewFunc()
	}
	obj, err := api.Scheme.New(s.Resource.GVK())
	if err != nil {
		panic(fmt.Sprintf("kind %v not in scheme: %v", s.Resource.GVK(), err)) // broken invariant
	}
	return obj
}

// NewList returns an empty list of the resource's kind.
func (s *Store) NewList() runtime.Object {
	if s.NewListFunc != nil {
		return s.NewListFunc()
	}
	obj, err := api.Scheme.New(s.Resource.GroupVersion.WithKind(s.Resource.Kind + "List"))
	if err != nil {
		panic(fmt.Sprintf("list kind for %v not in scheme: %v", s.Resource.GVK(), err))
	}
	return obj
}

// key returns the etcd key of one object.
func (s *Store) key(ns, name string) string {
	if s.Resource.Namespaced {
		return s.KeyRoot + "/" + ns + "/" + name
	}
	return s.KeyRoot + "/" + name
}

// prefix returns the key prefix of a collection; ns "" means all.
func (s *Store) prefix(ns string) string {
	if s.Resource.Namespaced && ns != "" {
		return s.KeyRoot + "/" + ns + "/"
	}
	return s.KeyRoot + "/"
}

func (s *Store) gr() (g, r string) { return s.Resource.GroupVersion.Group, s.Resource.Name }

// toAPIError turns storage errors into metav1.Status errors.
func (s *Store) toAPIError(err error, name string) error {
	if err == nil {
		return nil
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return err
	}
	gr := s.Resource.GVR().GroupResource()
	var rvErr *storage.RVError
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return apierrors.NewNotFound(gr, name)
	case errors.Is(err, storage.ErrKeyExists):
		return apierrors.NewAlreadyExists(gr, name)
	case errors.Is(err, storage.ErrConflict):
		return apierrors.NewConflict(gr, name, errors.New(OptimisticLockMsg))
	case errors.As(err, &rvErr) && errors.Is(err, storage.ErrExpired) && rvErr.Continue != "":
		// An expired continue token: the 410 carries a fresh token in
		// its ListMeta so the client may finish an inconsistent list.
		e := apierrors.NewResourceExpired(inconsistentContinueMsg)
		e.ErrStatus.Continue = rvErr.Continue
		return e
	case errors.As(err, &rvErr) && errors.Is(err, storage.ErrExpired):
		return apierrors.NewResourceExpired(fmt.Sprintf("too old resource version: %d (%d)", rvErr.Requested, rvErr.Current))
	case errors.Is(err, storage.ErrExpired):
		return apierrors.NewResourceExpired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.")
	case errors.As(err, &rvErr) && errors.Is(err, storage.ErrTooLarge):
		return tooLarge(rvErr.Requested, rvErr.Current)
	case errors.Is(err, storage.ErrTooLarge):
		return tooLarge(0, 0)
	case errors.Is(err, storage.ErrInvalidContinue):
		return apierrors.NewBadRequest(err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return apierrors.NewTimeoutError("request did not complete within the allowed duration", 0)
	}
	return apierrors.NewInternalError(err)
}

// inconsistentContinueMsg is upstream's message for an expired continue
// token answered with a token that resumes at the latest revision.
const inconsistentContinueMsg = "The provided continue parameter is too old to display a consistent list result. " +
	"You can start a new list without the continue parameter, or use the continue token in this response to " +
	"retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - " +
	"objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."

// OptimisticLockMsg is upstream's message for a stale resourceVersion.
const OptimisticLockMsg = "the object has been modified; please apply your changes to the latest version and try again"

func tooLarge(requested, current int64) error {
	err := apierrors.NewTimeoutError(fmt.Sprintf("Too large resource version: %d, current: %d", requested, current), 1)
	err.ErrStatus.Details.Causes = []metav1.StatusCause{{
		Type:    metav1.CauseTypeResourceVersionTooLarge,
		Message: "Too large resource version",
	}}
	return err
}

// Get returns one object.
func (s *Store) Get(ctx context.Context, ns, name string, opts *metav1.GetOptions) (runtime.Object, error) {
	out := s.New()
	rv := ""
	if opts != nil {
		rv = opts.ResourceVersion
	}
	if err := s.Storage.Get(ctx, s.key(ns, name), rv, out); err != nil {
		return nil, s.toAPIError(err, name)
	}
	return out, nil
}

// List returns the objects in ns ("" = all namespaces) matching opts.
func (s *Store) List(ctx context.Context, ns string, opts *metav1.ListOptions) (runtime.Object, error) {
	sopts, err := s.storageListOptions(opts)
	if err != nil {
		return nil, err
	}
	list := s.NewList()
	if err := s.Storage.GetList(ctx, s.prefix(ns), sopts, list); err != nil {
		return nil, s.toAPIError(err, "")
	}
	return list, nil
}

// Watch streams changes in ns matching opts.
func (s *Store) Watch(ctx context.Context, ns string, opts *metav1.ListOptions) (watch.Interface, error) {
	sopts, err := s.storageListOptions(opts)
	if err != nil {
		return nil, err
	}
	sopts.ProgressNotify = opts.AllowWatchBookmarks
	sopts.SendInitialEvents = opts.SendInitialEvents
	w, err := s.Storage.Watch(ctx, s.prefix(ns), sopts)
	if err != nil {
		return nil, s.toAPIError(err, "")
	}
	return w, nil
}

func (s *Store) storageListOptions(opts *metav1.ListOptions) (storage.ListOptions, error) {
	p, err := s.predicate(opts)
	if err != nil {
		return storage.ListOptions{}, err
	}
	return storage.ListOptions{
		ResourceVersion:      opts.ResourceVersion,
		ResourceVersionMatch: storage.ResourceVersionMatch(opts.ResourceVersionMatch),
		Predicate:            p,
		Recursive:            true,
	}, nil
}

// Exists reports whether the object is stored (used by admission).
func (s *Store) Exists(ctx context.Context, ns, name string) (runtime.Object, bool, error) {
	obj, err := s.Get(ctx, ns, name, nil)
	if apierrors.IsNotFound(err) {
		return nil, false, nil
	}
	return obj, err == nil, err
}

// objectMeta is meta.Accessor for objects we know are API objects.
func objectMeta(obj runtime.Object) metav1.Object {
	m, err := meta.Accessor(obj)
	if err != nil {
		panic(fmt.Sprintf("%T is not an API object: %v", obj, err)) // broken invariant
	}
	return m
}

func isDryRun(dryRun []string) bool {
	for _, d := range dryRun {
		if d == metav1.DryRunAll {
			return true
		}
	}
	return false
}

func hasFinalizer(m metav1.Object, f string) bool {
	for _, x := range m.GetFinalizers() {
		if x == f {
			return true
		}
	}
	return false
}

// qualifiedKind returns e.g. "deployments.apps" for messages.
func (s *Store) qualifiedResource() string {
	g, r := s.gr()
	return strings.TrimSuffix(r+"."+g, ".")
}
