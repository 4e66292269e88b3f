package namespace

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Strategy is the namespaces strategy.
type Strategy struct{ generic.Default }

var (
	_ generic.Strategy   = Strategy{}
	_ generic.Finalizing = Strategy{}
)

// NewStrategy returns the namespaces strategy.
func NewStrategy(r api.Resource) Strategy {
	return Strategy{generic.Default{Resource: r, ExtraFields: func(obj runtime.Object) fields.Set {
		return fields.Set{"status.phase": string(obj.(*corev1.Namespace).Status.Phase)}
	}}}
}

// PrepareForCreate: Active, with the kubernetes finalizer.
func (s Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	ns := obj.(*corev1.Namespace)
	ns.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
	ns.Spec.Finalizers = []corev1.FinalizerName{corev1.FinalizerKubernetes}
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[corev1.LabelMetadataName] = ns.Name
}

// PrepareForUpdate: spec.finalizers change only through /finalize, status
// only through /status.
func (s Strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	ns, o := obj.(*corev1.Namespace), old.(*corev1.Namespace)
	ns.Spec.Finalizers = o.Spec.Finalizers
	ns.Status = o.Status
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[corev1.LabelMetadataName] = ns.Name
}

func (s Strategy) HasPendingFinalizers(obj runtime.Object) bool {
	return len(obj.(*corev1.Namespace).Spec.Finalizers) > 0
}

func (s Strategy) MarkDeleting(obj runtime.Object) {
	obj.(*corev1.Namespace).Status.Phase = corev1.NamespaceTerminating
}

// FinalizeStrategy is the /finalize endpoint: only spec.finalizers change.
type FinalizeStrategy struct{ Strategy }

// NewFinalizeStrategy returns the strategy of r's /finalize endpoint.
func NewFinalizeStrategy(r api.Resource) FinalizeStrategy {
	return FinalizeStrategy{NewStrategy(r)}
}

func (f FinalizeStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	ns, o := obj.(*corev1.Namespace), old.(*corev1.Namespace)
	finalizers := ns.Spec.Finalizers
	*ns = *o.DeepCopy()
	ns.Spec.Finalizers = finalizers
}
