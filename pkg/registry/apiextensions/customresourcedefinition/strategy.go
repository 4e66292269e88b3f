package customresourcedefinition

import (
	"context"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/apiextensions/validation"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// CleanupFinalizer holds a deleting CRD until its custom resources are
// deleted (upstream's apiextensions.CustomResourceCleanupFinalizer).
const CleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io"

// Strategy is the CRD strategy: defaults and validation are
// pkg/apiextensions/validation's (after the generic metadata checks).
type Strategy struct {
	generic.Default
}

var (
	_ generic.Strategy         = Strategy{}
	_ generic.Finalizing       = Strategy{}
	_ generic.StatusStrategist = Strategy{}
)

// NewStrategy returns the strategy for the customresourcedefinitions
// resource r.
func NewStrategy(r api.Resource) Strategy { return Strategy{Default: generic.Default{Resource: r}} }

// PrepareForCreate clears the status and records the storage version in
// status.storedVersions.
func (s Strategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	crd := obj.(*apiextensionsv1.CustomResourceDefinition)
	crd.Status = apiextensionsv1.CustomResourceDefinitionStatus{}
	validation.SetDefaults(crd)
	addStoredVersion(crd)
}

// PrepareForUpdate keeps the stored status and adds a new storage version
// to status.storedVersions.
func (s Strategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	crd := obj.(*apiextensionsv1.CustomResourceDefinition)
	crd.Status = old.(*apiextensionsv1.CustomResourceDefinition).Status
	validation.SetDefaults(crd)
	addStoredVersion(crd)
}

func addStoredVersion(crd *apiextensionsv1.CustomResourceDefinition) {
	for _, v := range crd.Spec.Versions {
		if !v.Storage {
			continue
		}
		for _, sv := range crd.Status.StoredVersions {
			if sv == v.Name {
				return
			}
		}
		crd.Status.StoredVersions = append(crd.Status.StoredVersions, v.Name)
		return
	}
}

// Validate checks a new CRD.
func (s Strategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	errs := s.Default.Validate(ctx, obj)
	return append(errs, validation.ValidateCreate(obj.(*apiextensionsv1.CustomResourceDefinition))...)
}

// ValidateUpdate checks a changed CRD.
func (s Strategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	errs := s.Default.ValidateUpdate(ctx, obj, old)
	return append(errs, validation.ValidateUpdate(obj.(*apiextensionsv1.CustomResourceDefinition),
		old.(*apiextensionsv1.CustomResourceDefinition))...)
}

// StatusStrategy is the generic status strategy with the CRD's status
// checks (accepted names) added.
func (s Strategy) StatusStrategy() generic.Strategy {
	return statusStrategy{generic.StatusStrategy{Strategy: s}}
}

type statusStrategy struct{ generic.StatusStrategy }

func (s statusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	errs := s.StatusStrategy.ValidateUpdate(ctx, obj, old)
	return append(errs, validation.ValidateStatusUpdate(obj.(*apiextensionsv1.CustomResourceDefinition))...)
}

// HasPendingFinalizers: a CRD not yet marked for deletion waits for its
// cleanup finalizer, which MarkDeleting adds on the first DELETE.
func (Strategy) HasPendingFinalizers(obj runtime.Object) bool {
	return obj.(*apiextensionsv1.CustomResourceDefinition).DeletionTimestamp == nil
}

// MarkDeleting adds the cleanup finalizer and the Terminating condition,
// as upstream's CRD registry does on the first DELETE.
func (Strategy) MarkDeleting(obj runtime.Object) {
	crd := obj.(*apiextensionsv1.CustomResourceDefinition)
	has := false
	for _, f := range crd.Finalizers {
		has = has || f == CleanupFinalizer
	}
	if !has {
		crd.Finalizers = append(crd.Finalizers, CleanupFinalizer)
	}
	SetCondition(crd, apiextensionsv1.CustomResourceDefinitionCondition{
		Type: apiextensionsv1.Terminating, Status: apiextensionsv1.ConditionTrue, Reason: "InstanceDeletionPending",
		Message: "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon",
	})
}

// SetCondition sets or replaces the condition of c's type; the transition
// time moves only when the status changes.
func SetCondition(crd *apiextensionsv1.CustomResourceDefinition, c apiextensionsv1.CustomResourceDefinitionCondition) {
	c.LastTransitionTime = metav1.Now()
	for i, cur := range crd.Status.Conditions {
		if cur.Type != c.Type {
			continue
		}
		if cur.Status == c.Status {
			c.LastTransitionTime = cur.LastTransitionTime
		}
		crd.Status.Conditions[i] = c
		return
	}
	crd.Status.Conditions = append(crd.Status.Conditions, c)
}

// Condition returns the condition of type t, if set.
func Condition(crd *apiextensionsv1.CustomResourceDefinition, t apiextensionsv1.CustomResourceDefinitionConditionType) (apiextensionsv1.CustomResourceDefinitionCondition, bool) {
	for _, c := range crd.Status.Conditions {
		if c.Type == t {
			return c, true
		}
	}
	return apiextensionsv1.CustomResourceDefinitionCondition{}, false
}

// IsTrue reports whether condition t is True.
func IsTrue(crd *apiextensionsv1.CustomResourceDefinition, t apiextensionsv1.CustomResourceDefinitionConditionType) bool {
	c, ok := Condition(crd, t)
	return ok && c.Status == apiextensionsv1.ConditionTrue
}
