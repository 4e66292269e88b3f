package pod

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/api/validation"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// resizeStrategy writes pods/resize (in-place pod resize, KEP-1287):
// the containers' and init containers' resources and resize policies
// and nothing else. As upstream, the rest of the spec, the status and
// the metadata a status write keeps come from the stored pod; the
// change moves metadata.generation like any spec change, which is how
// the node learns of it (it reports status.observedGeneration once it
// has acted). A plain pod update may not change resources at all.
type resizeStrategy struct{ Strategy }

func (resizeStrategy) PrepareForCreate(context.Context, runtime.Object) {}

func (resizeStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	p, o := obj.(*corev1.Pod), old.(*corev1.Pod)
	// Added, removed, renamed or reordered containers are left for
	// validation to reject.
	containers, ok1 := takeResources(p.Spec.Containers, o.Spec.Containers)
	inits, ok2 := takeResources(p.Spec.InitContainers, o.Spec.InitContainers)
	if !ok1 || !ok2 {
		return
	}
	podResources := p.Spec.Resources
	p.Spec = *o.Spec.DeepCopy()
	p.Spec.Containers, p.Spec.InitContainers = containers, inits
	// Kept from the request so validation can refuse a change.
	p.Spec.Resources = podResources
	p.Status = *o.Status.DeepCopy()
	p.Labels, p.Annotations = o.Labels, o.Annotations
	p.Finalizers, p.OwnerReferences = o.Finalizers, o.OwnerReferences
}

// takeResources returns a copy of old with cur's resources and resize
// policies, false if cur does not name the same containers in order.
func takeResources(cur, old []corev1.Container) ([]corev1.Container, bool) {
	if len(cur) != len(old) {
		return nil, false
	}
	if len(old) == 0 {
		return old, true
	}
	out := make([]corev1.Container, len(old))
	for i := range old {
		if cur[i].Name != old[i].Name {
			return nil, false
		}
		out[i] = *old[i].DeepCopy()
		out[i].Resources = *cur[i].Resources.DeepCopy()
		out[i].ResizePolicy = cur[i].ResizePolicy
	}
	return out, true
}

func (resizeStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	p, o := obj.(*corev1.Pod), old.(*corev1.Pod)
	errs := validation.ValidatePodResize(p, o)
	oldQoS := o.Status.QOSClass
	if oldQoS == "" {
		oldQoS = qosClass(o)
	}
	if qosClass(p) != oldQoS {
		errs = append(errs, field.Invalid(field.NewPath("spec"), p.Status.QOSClass, "Pod QOS Class may not change as a result of resizing"))
	}
	return errs
}

func (resizeStrategy) AllowCreateOnUpdate() bool { return false }

// Subresource names the endpoint for admission.
func (resizeStrategy) Subresource() string { return "resize" }

var _ generic.Strategy = resizeStrategy{}
