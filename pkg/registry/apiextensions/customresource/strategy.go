package customresource

import (
	"context"
	"fmt"
	"strings"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/registry/generic"
)

var objectMetaDoc = metav1.ObjectMeta{}.SwaggerDoc()

// Strategy is the strategy of one version of one CRD's custom resources.
type Strategy struct {
	V *Version
}

var (
	_ generic.Strategy          = Strategy{}
	_ generic.GenerationTrigger = Strategy{}
	_ generic.StatusStrategist  = Strategy{}
)

// New returns an empty object of the version's kind.
func (s Strategy) New() runtime.Object {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetGroupVersionKind(s.V.Resource.GVK())
	return u
}

// NewList returns an empty list of the version's kind.
func (s Strategy) NewList() runtime.Object {
	l := &unstructured.UnstructuredList{Object: map[string]any{}}
	l.SetGroupVersionKind(s.V.Resource.GroupVersion.WithKind(s.V.Resource.Kind + "List"))
	return l
}

func content(obj runtime.Object) map[string]any { return obj.(*unstructured.Unstructured).Object }

// PrepareForCreate drops status when the status subresource owns it, and
// gives the object the storage version's apiVersion (conversion None).
func (s Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	if s.V.Status {
		delete(content(obj), "status")
	}
	obj.(*unstructured.Unstructured).SetGroupVersionKind(s.V.Storage)
}

// PrepareForUpdate keeps the stored status when the status subresource
// owns it.
func (s Strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	if s.V.Status {
		if st, ok := content(old)["status"]; ok {
			content(obj)["status"] = st
		} else {
			delete(content(obj), "status")
		}
	}
	obj.(*unstructured.Unstructured).SetGroupVersionKind(s.V.Storage)
}

// Validate checks ObjectMeta as for built-ins, the object against the
// version's schema, and the scale paths' values.
func (s Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	u := obj.(*unstructured.Unstructured)
	errs := metavalidation.ValidateObjectMetaAccessor(u, s.V.Resource.Namespaced, metavalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	errs = append(errs, s.V.Schema.Validate(u.Object)...)
	return append(errs, ValidateScale(u, s.V.Scale)...)
}

// ValidateUpdate checks the metadata change and the new object's schema.
func (s Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	u := obj.(*unstructured.Unstructured)
	errs := metavalidation.ValidateObjectMetaAccessorUpdate(u, old.(*unstructured.Unstructured), field.NewPath("metadata"))
	errs = append(errs, s.V.Schema.Validate(u.Object)...)
	return append(errs, ValidateScale(u, s.V.Scale)...)
}

// AllowCreateOnUpdate: PUT does not create custom resources (upstream).
func (Strategy) AllowCreateOnUpdate() bool { return false }

// TracksGeneration: custom resources start at generation 1.
func (Strategy) TracksGeneration() bool { return true }

// BumpsGeneration: as upstream, any change outside metadata moves
// generation. With the status subresource the main endpoint cannot change
// status, so only spec (and other top-level fields) count.
func (Strategy) BumpsGeneration(obj, old runtime.Object) bool {
	return !apiequality.Semantic.DeepEqual(withoutMeta(content(obj)), withoutMeta(content(old)))
}

func withoutMeta(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch k {
		case "metadata", "apiVersion", "kind":
			continue
		}
		out[k] = v
	}
	return out
}

// GetAttrs returns labels, metadata.name / metadata.namespace and the
// version's selectable fields (a missing field is "", as upstream).
func (s Strategy) GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return nil, nil, nil
	}
	fs := fields.Set{"metadata.name": u.GetName()}
	if s.V.Resource.Namespaced {
		fs["metadata.namespace"] = u.GetNamespace()
	}
	for _, f := range s.V.SelectableFields {
		fs[f] = ""
		if v, found, err := unstructured.NestedFieldNoCopy(u.Object, strings.Split(f, ".")...); err == nil && found && v != nil {
			fs[f] = fmt.Sprint(v)
		}
	}
	return labels.Set(u.GetLabels()), fs, nil
}

// StatusStrategy returns the /status strategy.
func (s Strategy) StatusStrategy() generic.Strategy { return statusStrategy{s} }

// statusStrategy: through /status only status (and managedFields, which
// track the status change) changes; the rest is the stored object's.
type statusStrategy struct{ Strategy }

func (statusStrategy) PrepareForCreate(context.Context, runtime.Object) {}

func (s statusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	u := obj.(*unstructured.Unstructured)
	st, hasStatus := u.Object["status"]
	managed := u.GetManagedFields()
	u.Object = old.(*unstructured.Unstructured).DeepCopy().Object
	u.SetManagedFields(managed)
	if hasStatus {
		u.Object["status"] = st
	} else {
		delete(u.Object, "status")
	}
	u.SetGroupVersionKind(s.V.Storage)
}

func (statusStrategy) BumpsGeneration(obj, old runtime.Object) bool { return false }

func (statusStrategy) AllowCreateOnUpdate() bool { return false }

// Subresource names the endpoint for admission.
func (statusStrategy) Subresource() string { return "status" }
