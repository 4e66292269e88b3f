package pod

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/api/validation"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// SubresourceStrategy returns the strategy of pods/ephemeralcontainers
// and pods/resize (generic.SubresourceStrategist); nil for any other
// name.
func (s Strategy) SubresourceStrategy(name string) generic.Strategy {
	switch name {
	case "ephemeralcontainers":
		return ephemeralContainersStrategy{Strategy: s}
	case "resize":
		return resizeStrategy{Strategy: s}
	}
	return nil
}

// ephemeralContainersStrategy writes spec.ephemeralContainers and
// nothing else: as upstream, everything else of the spec, the status
// and the metadata a status write keeps (labels, annotations,
// finalizers, ownerReferences) come from the stored pod; validation
// lets containers be added only (kubectl debug's strategic merge patch
// adds one). A plain pod update may not change the list at all
// (pkg/api/validation: the pod's immutable spec).
type ephemeralContainersStrategy struct{ Strategy }

func (ephemeralContainersStrategy) PrepareForCreate(context.Context, runtime.Object) {}

func (ephemeralContainersStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	p, o := obj.(*corev1.Pod), old.(*corev1.Pod)
	ecs := p.Spec.EphemeralContainers
	p.Spec = *o.Spec.DeepCopy()
	p.Spec.EphemeralContainers = ecs
	p.Status = *o.Status.DeepCopy()
	p.Labels, p.Annotations = o.Labels, o.Annotations
	p.Finalizers, p.OwnerReferences = o.Finalizers, o.OwnerReferences
}

func (ephemeralContainersStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidatePodEphemeralContainersUpdate(obj.(*corev1.Pod), old.(*corev1.Pod))
}

func (ephemeralContainersStrategy) AllowCreateOnUpdate() bool { return false }

// Subresource names the endpoint for admission.
func (ephemeralContainersStrategy) Subresource() string { return "ephemeralcontainers" }
