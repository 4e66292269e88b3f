package generic

import (
	"context"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The write path runs these steps in this order, for creates and updates
// alike. writePath below is the only place the order is coded; Create and
// Update both run it.
//
//  1. prepare      Strategy.PrepareForCreate / PrepareForUpdate: clear or
//                  carry over what this endpoint may not change
//  2. metadata     uid, creationTimestamp, generation, generateName on
//                  create; server-owned metadata kept, generation bumped
//                  and finalizers only removed while deleting on update
//  3. validate     Strategy.Validate / ValidateUpdate → 422 Invalid; an
//                  update that changes nothing stops here, unwritten
//  4. admit        Store.Admission, the admission chain (admission.go;
//                  the server's order is pkg/registry/admission.go), then
//                  Store.Allocator.Allocate (a refused write allocates
//                  nothing)
//  5. store        compare-and-swap write to etcd (skipped on dryRun);
//                  a failed or retried write undoes step 4's allocation,
//                  a stored update releases what the old object held and
//                  the new one does not
//
// Defaulting happens before all of this, when the request body is decoded
// (api.Scheme.Default), exactly as upstream defaults at decode time.

// write is one create (old nil) or update on its way through the write
// path.
type write struct {
	strategy Strategy
	ns       string
	obj      runtime.Object
	old      runtime.Object
	dryRun   bool
	// undo, set by step 4, gives back what Store.Allocator reserved.
	undo func()
}

// writePath runs steps 1–4 on w.obj; the caller stores the result (step
// 5). unchanged reports an update that changes nothing: it was validated
// but not admitted, and must not be written.
func (s *Store) writePath(ctx context.Context, w *write) (unchanged bool, err error) {
	create := w.old == nil
	// 1. prepare
	if create {
		w.strategy.PrepareForCreate(ctx, w.obj)
	} else {
		w.strategy.PrepareForUpdate(ctx, w.obj, w.old)
	}
	// 2. metadata
	if create {
		s.fillCreateMeta(objectMeta(w.obj))
	} else if err := s.fillUpdateMeta(w.strategy, w.obj, w.old); err != nil {
		return false, err
	}
	// 3. validate
	var errs field.ErrorList
	if create {
		errs = w.strategy.Validate(ctx, w.obj)
	} else {
		errs = w.strategy.ValidateUpdate(ctx, w.obj, w.old)
	}
	if err := s.invalid(w.obj, errs); err != nil {
		return false, err
	}
	if !create && reflect.DeepEqual(w.obj, w.old) {
		return true, nil
	}
	// 4. admit
	a := &Attributes{Operation: Create, Resource: s.Resource, Subresource: subresourceOf(w.strategy),
		Namespace: w.ns, Name: objectMeta(w.obj).GetName(), Object: w.obj, Old: w.old, DryRun: w.dryRun}
	if !create {
		a.Operation = Update
	}
	if err := s.Admission.Admit(ctx, a); err != nil {
		return false, err
	}
	if s.Allocator != nil {
		if w.undo, err = s.Allocator.Allocate(ctx, w.obj, w.old, w.dryRun); err != nil {
			return false, err
		}
	}
	return false, nil
}

// undoAllocation gives back what step 4 reserved for a write that was
// not stored. Safe on a nil write and more than once.
func (w *write) undoAllocation() {
	if w != nil && w.undo != nil {
		w.undo()
		w.undo = nil
	}
}

// fillUpdateMeta is step 2 of an update: server-owned metadata cannot
// change through an update, generation moves with the spec, and once
// deleting, finalizers may only be removed, not added.
func (s *Store) fillUpdateMeta(strategy Strategy, obj, old runtime.Object) error {
	om, nm := objectMeta(old), objectMeta(obj)
	nm.SetUID(om.GetUID())
	nm.SetCreationTimestamp(om.GetCreationTimestamp())
	nm.SetDeletionTimestamp(om.GetDeletionTimestamp())
	nm.SetDeletionGracePeriodSeconds(om.GetDeletionGracePeriodSeconds())
	nm.SetGeneration(om.GetGeneration())
	nm.SetResourceVersion(om.GetResourceVersion())
	if !s.Resource.Namespaced {
		nm.SetNamespace("")
	}
	if strategy.TracksGeneration() {
		spec := specOf(obj)
		bump := spec.IsValid() && !equality.Semantic.DeepEqual(spec.Interface(), specOf(old).Interface())
		if g, ok := strategy.(GenerationTrigger); ok && g.BumpsGeneration(obj, old) {
			bump = true
		}
		if bump {
			nm.SetGeneration(om.GetGeneration() + 1)
		}
	}
	if om.GetDeletionTimestamp() != nil {
		for _, f := range nm.GetFinalizers() {
			if !hasFinalizer(om, f) {
				return apierrors.NewForbidden(s.Resource.GVR().GroupResource(), nm.GetName(),
					fmt.Errorf("no new finalizers can be added if the object is being deleted, found new finalizers %q", f))
			}
		}
	}
	return nil
}

// Subresourcer is implemented by strategies of a subresource endpoint;
// admission sees its name in Attributes.Subresource.
type Subresourcer interface {
	Subresource() string
}

// subresourceOf returns the subresource a strategy serves, "" for the
// main endpoint.
func subresourceOf(s Strategy) string {
	if sub, ok := s.(Subresourcer); ok {
		return sub.Subresource()
	}
	return ""
}

func (s *Store) invalid(obj runtime.Object, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(s.Resource.GVK().GroupKind(), objectMeta(obj).GetName(), errs)
}
