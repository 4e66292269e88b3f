package generic

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Finalizers the store itself adds for propagation policies; the garbage
// collector removes them.
const (
	FinalizerOrphan     = metav1.FinalizerOrphanDependents
	FinalizerForeground = metav1.FinalizerDeleteDependents
)

// Delete removes an object, or starts its deletion: with finalizers (or a
// propagation policy that adds one) the object gets a deletionTimestamp
// and stays until they are removed; with a grace period (pods on a node)
// it stays until the node confirms. deleted reports whether it is gone.
//
// The decisions (preconditions, delete now or mark pending) run inside the
// storage's compare-and-swap loop, on the object it is about to replace:
// there is no read of our own, and the storage may start from the watch
// cache's copy (a decision taken on a stale copy is confirmed on etcd's).
func (s *Store) Delete(ctx context.Context, ns, name string, opts *metav1.DeleteOptions, dryRun bool) (obj runtime.Object, deleted bool, err error) {
	if opts == nil {
		opts = &metav1.DeleteOptions{}
	}
	if s.BeforeDelete != nil {
		if err := s.BeforeDelete(name); err != nil {
			return nil, false, err
		}
	}
	key := s.key(ns, name)
	if dryRun {
		return s.dryRunDelete(ctx, key, name, opts)
	}
	for attempt := 0; ; attempt++ {
		out := s.New()
		var seen runtime.Object // what the delete found pending: the update's first guess
		err := s.Storage.Delete(ctx, key, out, nil, func(cur runtime.Object) error {
			if err := s.checkDeletePreconditions(name, opts, cur); err != nil {
				return err
			}
			if s.pendingDeletion(cur, opts) != nil {
				seen = cur
				return errPendingDeletion
			}
			return nil
		}, nil)
		if err == nil {
			s.noteWrite(out)
			s.afterDelete(out)
			return out, true, nil
		}
		if !errors.Is(err, errPendingDeletion) {
			return nil, false, s.toAPIError(err, name)
		}
		out = s.New()
		err = s.Storage.GuaranteedUpdate(ctx, key, out, false, nil, func(cur runtime.Object) (runtime.Object, error) {
			if err := s.checkDeletePreconditions(name, opts, cur); err != nil {
				return nil, err
			}
			if pending := s.pendingDeletion(cur, opts); pending != nil {
				return pending, nil
			}
			return nil, errDeleteNow
		}, seen)
		if errors.Is(err, errDeleteNow) && attempt < 10 {
			continue // its last finalizer went meanwhile; decide again
		}
		if err != nil {
			return nil, false, s.toAPIError(err, name)
		}
		s.noteWrite(out)
		return out, false, nil
	}
}

// Internal verdicts of Delete's two storage calls.
var (
	errPendingDeletion = errors.New("deletion must wait")
	errDeleteNow       = errors.New("nothing holds the deletion")
)

// dryRunDelete answers what Delete would do, from the latest state.
func (s *Store) dryRunDelete(ctx context.Context, key, name string, opts *metav1.DeleteOptions) (runtime.Object, bool, error) {
	current := s.New()
	if err := s.Storage.Get(ctx, key, "", current); err != nil {
		return nil, false, s.toAPIError(err, name)
	}
	if err := s.checkDeletePreconditions(name, opts, current); err != nil {
		return nil, false, err
	}
	if pending := s.pendingDeletion(current, opts); pending != nil {
		return pending, false, nil
	}
	return current, true, nil
}

// checkDeletePreconditions checks the client's preconditions on cur, with
// upstream's 409 messages.
func (s *Store) checkDeletePreconditions(name string, opts *metav1.DeleteOptions, cur runtime.Object) error {
	p := opts.Preconditions
	if p == nil {
		return nil
	}
	m := objectMeta(cur)
	if p.UID != nil && *p.UID != m.GetUID() {
		return apierrors.NewConflict(s.Resource.GVR().GroupResource(), name,
			fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", *p.UID, m.GetUID()))
	}
	if p.ResourceVersion != nil && *p.ResourceVersion != m.GetResourceVersion() {
		return apierrors.NewConflict(s.Resource.GVR().GroupResource(), name,
			fmt.Errorf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", *p.ResourceVersion, m.GetResourceVersion()))
	}
	return nil
}

// pendingDeletion decides whether deleting current must wait. It returns
// the object to write instead of deleting (with deletionTimestamp and any
// propagation finalizer), or nil to delete now.
func (s *Store) pendingDeletion(current runtime.Object, opts *metav1.DeleteOptions) runtime.Object {
	obj := current.DeepCopyObject()
	m := objectMeta(obj)
	changed := false
	wasDeleting := m.GetDeletionTimestamp() != nil
	policy := propagation(opts)
	if policy != "" && m.GetDeletionTimestamp() == nil {
		switch policy {
		case metav1.DeletePropagationOrphan:
			changed = addFinalizer(m, FinalizerOrphan) || changed
			changed = removeFinalizer(m, FinalizerForeground) || changed
		case metav1.DeletePropagationForeground:
			changed = addFinalizer(m, FinalizerForeground) || changed
			changed = removeFinalizer(m, FinalizerOrphan) || changed
		}
	}
	grace, graceful := int64(0), false
	if gd, ok := s.Strategy.(GracefulDeleter); ok {
		grace, graceful = gd.GracePeriod(obj, opts)
	}
	fin, finalizing := s.Strategy.(Finalizing)
	pendingOwn := finalizing && fin.HasPendingFinalizers(obj)
	if len(m.GetFinalizers()) == 0 && !graceful && !pendingOwn {
		return nil
	}
	if finalizing && m.GetDeletionTimestamp() == nil {
		fin.MarkDeleting(obj)
		changed = true
	}
	now := metav1.Now()
	if graceful {
		// A new, shorter grace period may shorten a pending one.
		deadline := metav1.NewTime(now.Add(time.Duration(grace) * time.Second))
		if old := m.GetDeletionGracePeriodSeconds(); old == nil || grace < *old {
			m.SetDeletionTimestamp(&deadline)
			m.SetDeletionGracePeriodSeconds(&grace)
			changed = true
		}
	} else if m.GetDeletionTimestamp() == nil {
		zero := int64(0)
		m.SetDeletionTimestamp(&now)
		m.SetDeletionGracePeriodSeconds(&zero)
		changed = true
	}
	if !changed {
		return current // already pending; nothing to write
	}
	// Deletion starting is a change controllers must observe (a pod's
	// kubelet reports it in status.observedGeneration): as upstream, the
	// first deletionTimestamp bumps a tracked generation.
	if !wasDeleting && m.GetGeneration() > 0 {
		m.SetGeneration(m.GetGeneration() + 1)
	}
	return obj
}

// propagation returns the requested policy; the legacy orphanDependents
// flag maps onto it.
func propagation(opts *metav1.DeleteOptions) metav1.DeletionPropagation {
	if opts.PropagationPolicy != nil {
		return *opts.PropagationPolicy
	}
	if opts.OrphanDependents != nil {
		if *opts.OrphanDependents {
			return metav1.DeletePropagationOrphan
		}
		return metav1.DeletePropagationBackground
	}
	return ""
}

func addFinalizer(m metav1.Object, f string) bool {
	if hasFinalizer(m, f) {
		return false
	}
	m.SetFinalizers(append(m.GetFinalizers(), f))
	return true
}

func removeFinalizer(m metav1.Object, f string) bool {
	var out []string
	for _, x := range m.GetFinalizers() {
		if x != f {
			out = append(out, x)
		}
	}
	if len(out) == len(m.GetFinalizers()) {
		return false
	}
	m.SetFinalizers(out)
	return true
}

func (s *Store) afterDelete(obj runtime.Object) {
	if s.Allocator != nil {
		s.Allocator.Release(obj, nil)
	}
}

// DeleteCollection deletes every object in ns matching listOpts and
// returns them as a list.
func (s *Store) DeleteCollection(ctx context.Context, ns string, opts *metav1.DeleteOptions, listOpts *metav1.ListOptions, dryRun bool) (runtime.Object, error) {
	lo := *listOpts
	lo.ResourceVersion, lo.Limit, lo.Continue = "", 0, ""
	list, err := s.List(ctx, ns, &lo)
	if err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	var deleted []runtime.Object
	for _, item := range items {
		m := objectMeta(item)
		obj, _, err := s.Delete(ctx, m.GetNamespace(), m.GetName(), opts, dryRun)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		deleted = append(deleted, obj)
	}
	if err := meta.SetList(list, deleted); err != nil {
		return nil, err
	}
	return list, nil
}
