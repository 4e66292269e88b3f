package generic

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/storage"
)

// UpdateFunc computes the desired object from the stored one (a private
// copy the function may modify). For PUT it returns the request body; for
// PATCH the patched object. current is nil when the object does not exist
// and the update may create it.
type UpdateFunc func(ctx context.Context, current runtime.Object) (runtime.Object, error)

// UpdateOptions controls one update.
type UpdateOptions struct {
	DryRun bool
	// Strategy overrides the store's strategy (the /status endpoint).
	Strategy Strategy
	// ForceAllowCreate lets a missing object be created (server-side
	// apply, PUT on resources that allow create-on-update).
	ForceAllowCreate bool
}

// Update applies fn to the stored object with compare-and-swap, retrying
// on races. It returns the stored result and whether it was created.
func (s *Store) Update(ctx context.Context, ns, name string, fn UpdateFunc, opts UpdateOptions) (runtime.Object, bool, error) {
	strategy := opts.Strategy
	if strategy == nil {
		strategy = s.Strategy
	}
	key := s.key(ns, name)
	// No separate existence check: GuaranteedUpdate answers ErrNotFound
	// for a missing object, which may then be created. It starts from the
	// watch cache's copy when there is one (see storage.Interface).
	if opts.DryRun {
		// A dry run answers from the latest state.
		current := s.New()
		err := s.Storage.Get(ctx, key, "", current)
		if errors.Is(err, storage.ErrNotFound) {
			return s.createOnUpdate(ctx, strategy, ns, name, fn, opts, err)
		} else if err != nil {
			return nil, false, s.toAPIError(err, name)
		}
		obj, _, err := s.prepareUpdate(ctx, strategy, ns, name, fn, current, true)
		return obj, false, err
	}
	out := s.New()
	// last is the latest attempt: GuaranteedUpdate calls again only when
	// the previous attempt was not stored, so its allocation goes back.
	var last *write
	err := s.Storage.GuaranteedUpdate(ctx, key, out, false, nil, func(cur runtime.Object) (runtime.Object, error) {
		last.undoAllocation()
		obj, w, err := s.prepareUpdate(ctx, strategy, ns, name, fn, cur, false)
		last = w
		return obj, err
	}, nil)
	if err != nil {
		last.undoAllocation()
	}
	if errors.Is(err, storage.ErrNotFound) {
		return s.createOnUpdate(ctx, strategy, ns, name, fn, opts, err)
	}
	if err != nil {
		return nil, false, s.toAPIError(err, name)
	}
	s.noteWrite(out)
	if s.Allocator != nil && last != nil {
		s.Allocator.Release(last.old, out)
	}
	// An object being deleted whose last finalizer was just removed goes.
	m := objectMeta(out)
	fin, finalizing := s.Strategy.(Finalizing)
	if m.GetDeletionTimestamp() != nil && len(m.GetFinalizers()) == 0 && !(finalizing && fin.HasPendingFinalizers(out)) {
		rv := m.GetResourceVersion()
		last := s.New()
		// out is what etcd now holds (unless another write came
		// since, which the compare-and-swap catches): no read needed.
		err := s.Storage.Delete(ctx, key, last, &storage.Preconditions{ResourceVersion: &rv}, nil, out)
		switch {
		case err == nil:
			s.noteWrite(last)
			s.afterDelete(last)
		case !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrConflict):
			return nil, false, s.toAPIError(err, name)
		}
	}
	return out, false, nil
}

// createOnUpdate handles an update of a missing object: NotFound, or a
// create where the strategy (or server-side apply) allows it.
func (s *Store) createOnUpdate(ctx context.Context, strategy Strategy, ns, name string, fn UpdateFunc, opts UpdateOptions, notFound error) (runtime.Object, bool, error) {
	if !opts.ForceAllowCreate && !strategy.AllowCreateOnUpdate() {
		return nil, false, s.toAPIError(notFound, name)
	}
	obj, err := fn(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	if err := checkName(obj, ns, name, s.Resource.Namespaced); err != nil {
		return nil, false, err
	}
	objectMeta(obj).SetResourceVersion("")
	out, err := s.Create(ctx, ns, obj, opts.DryRun)
	return out, err == nil, err
}

// prepareUpdate computes one update attempt from cur, the stored object,
// checks the preconditions the body carries and runs the write path. The
// write it returns (nil if the path was not reached) holds the attempt's
// old object and its allocation.
func (s *Store) prepareUpdate(ctx context.Context, strategy Strategy, ns, name string, fn UpdateFunc, cur runtime.Object,
	dryRun bool) (runtime.Object, *write, error) {
	old := cur.DeepCopyObject()
	obj, err := fn(ctx, cur)
	if err != nil {
		return nil, nil, err
	}
	if err := checkName(obj, ns, name, s.Resource.Namespaced); err != nil {
		return nil, nil, err
	}
	om, nm := objectMeta(old), objectMeta(obj)
	if rv := nm.GetResourceVersion(); rv != "" && rv != om.GetResourceVersion() {
		return nil, nil, apierrors.NewConflict(s.Resource.GVR().GroupResource(), name, errors.New(OptimisticLockMsg))
	}
	if uid := nm.GetUID(); uid != "" && uid != om.GetUID() {
		return nil, nil, apierrors.NewConflict(s.Resource.GVR().GroupResource(), name,
			fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", uid, om.GetUID()))
	}
	w := &write{strategy: strategy, ns: ns, obj: obj, old: old, dryRun: dryRun}
	unchanged, err := s.writePath(ctx, w)
	if err != nil {
		return nil, w, err
	}
	if unchanged {
		return old, w, nil
	}
	return obj, w, nil
}

// checkName rejects a body whose name or namespace differs from the path.
func checkName(obj runtime.Object, ns, name string, namespaced bool) error {
	m := objectMeta(obj)
	if m.GetName() == "" {
		m.SetName(name)
	}
	if m.GetName() != name {
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", m.GetName(), name))
	}
	if namespaced {
		if m.GetNamespace() == "" {
			m.SetNamespace(ns)
		}
		if m.GetNamespace() != ns {
			return apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
	}
	return nil
}
