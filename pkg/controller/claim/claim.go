package claim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// PatchFunc applies a strategic merge patch to the named object in the
// owner's namespace.
type PatchFunc func(ctx context.Context, name string, patch []byte) error

// Owner is the controller doing the claiming.
type Owner struct {
	Object   metav1.Object
	Kind     schema.GroupVersionKind
	Selector labels.Selector
	// Patch changes a claimed object's ownerReferences.
	Patch PatchFunc
	// CanAdopt re-reads the owner from the server (not a cache) and
	// returns false if it is gone or being deleted: adopting into a
	// dying owner would get the object garbage collected. Called at most
	// once per Claim, and only if something is to be adopted. Nil:
	// always allowed.
	CanAdopt func(ctx context.Context) (bool, error)
	// Finalizer, if set, is added to adopted objects and removed from
	// released ones in the same patch (the Job controller's tracking
	// finalizer: an adopted pod must not vanish before it is counted,
	// and a released one must not stay blocked on a Job that lets go).
	Finalizer string
}

// Claim returns the objects among objs that owner controls after
// adopting matching orphans and releasing non-matching owned objects.
// objs are typically informer-cache objects; they are not mutated. It
// keeps going past individual failures and returns the first error, so
// the caller requeues but still acts on what it did claim.
func Claim[T metav1.Object](ctx context.Context, owner Owner, objs []T) ([]T, error) {
	var claimed []T
	var errs []error
	adoptChecked, canAdopt := false, true
	uid := owner.Object.GetUID()
	for _, o := range objs {
		ref := metav1.GetControllerOfNoCopy(o)
		match := owner.Selector.Matches(labels.Set(o.GetLabels()))
		switch {
		case ref != nil && ref.UID == uid:
			if match || o.GetDeletionTimestamp() != nil || owner.Object.GetDeletionTimestamp() != nil {
				// A dying owner keeps what it has; so does a dying object.
				claimed = append(claimed, o)
				continue
			}
			if err := release(ctx, owner, o); err != nil {
				errs = append(errs, err)
			}
		case ref != nil:
			// Someone else's.
		case match && o.GetDeletionTimestamp() == nil && owner.Object.GetDeletionTimestamp() == nil:
			if !adoptChecked && owner.CanAdopt != nil {
				var err error
				if canAdopt, err = owner.CanAdopt(ctx); err != nil {
					errs = append(errs, fmt.Errorf("rechecking %s before adoption: %w", owner.Object.GetName(), err))
				}
			}
			adoptChecked = true
			if !canAdopt {
				continue
			}
			err := adopt(ctx, owner, o)
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			claimed = append(claimed, o)
		}
	}
	return claimed, errors.Join(errs...)
}

// ownerRefPatch is the strategic merge patch body: ownerReferences merge
// by uid, and metadata.uid pins the object the patch was computed for
// (a recreated object of the same name fails as an immutable-field
// change instead of being adopted by mistake).
type ownerRefPatch struct {
	Metadata struct {
		OwnerReferences  []map[string]any `json:"ownerReferences"`
		UID              types.UID        `json:"uid"`
		Finalizers       []string         `json:"finalizers,omitempty"`
		DeleteFinalizers []string         `json:"$deleteFromPrimitiveList/finalizers,omitempty"`
	} `json:"metadata"`
}

func adopt(ctx context.Context, owner Owner, o metav1.Object) error {
	var p ownerRefPatch
	apiVersion, kind := owner.Kind.ToAPIVersionAndKind()
	p.Metadata.OwnerReferences = []map[string]any{{
		"apiVersion": apiVersion, "kind": kind,
		"name": owner.Object.GetName(), "uid": owner.Object.GetUID(),
		"controller": true, "blockOwnerDeletion": true,
	}}
	p.Metadata.UID = o.GetUID()
	if owner.Finalizer != "" {
		p.Metadata.Finalizers = []string{owner.Finalizer}
	}
	return patch(ctx, owner, o, p, "adopting")
}

func release(ctx context.Context, owner Owner, o metav1.Object) error {
	var p ownerRefPatch
	p.Metadata.OwnerReferences = []map[string]any{{"$patch": "delete", "uid": owner.Object.GetUID()}}
	p.Metadata.UID = o.GetUID()
	if owner.Finalizer != "" && slices.Contains(o.GetFinalizers(), owner.Finalizer) {
		p.Metadata.DeleteFinalizers = []string{owner.Finalizer}
	}
	err := patch(ctx, owner, o, p, "releasing")
	if apierrors.IsNotFound(err) || apierrors.IsInvalid(err) {
		return nil // gone, or replaced by another object of the same name
	}
	return err
}

func patch(ctx context.Context, owner Owner, o metav1.Object, p ownerRefPatch, verb string) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := owner.Patch(ctx, o.GetName(), data); err != nil {
		return fmt.Errorf("%s %s/%s: %w", verb, o.GetNamespace(), o.GetName(), err)
	}
	return nil
}

// Recheck returns an Owner.CanAdopt for owner: get reads the owner
// afresh from the server, and adoption is allowed while that object is
// still owner (same UID) and not being deleted. An owner that is gone
// allows nothing; another error is returned (the caller requeues).
func Recheck[T metav1.Object](owner metav1.Object, get func(ctx context.Context) (T, error)) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		fresh, err := get(ctx)
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return fresh.GetUID() == owner.GetUID() && fresh.GetDeletionTimestamp() == nil, nil
	}
}
