package registry

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// scalers are the Scalers of the built-in resources with a …/scale
// subresource (Build refuses a row with one that is missing here).
var scalers = map[schema.GroupResource]generic.Scaler{
	{Group: "apps", Resource: "deployments"}: replicas[*appsv1.Deployment](func(o *appsv1.Deployment) (**int32, int32, string) {
		return &o.Spec.Replicas, o.Status.Replicas, selectorString(o.Spec.Selector)
	}),
	{Group: "apps", Resource: "replicasets"}: replicas[*appsv1.ReplicaSet](func(o *appsv1.ReplicaSet) (**int32, int32, string) {
		return &o.Spec.Replicas, o.Status.Replicas, selectorString(o.Spec.Selector)
	}),
	{Group: "apps", Resource: "statefulsets"}: replicas[*appsv1.StatefulSet](func(o *appsv1.StatefulSet) (**int32, int32, string) {
		return &o.Spec.Replicas, o.Status.Replicas, selectorString(o.Spec.Selector)
	}),
	{Resource: "replicationcontrollers"}: replicas[*corev1.ReplicationController](func(o *corev1.ReplicationController) (**int32, int32, string) {
		return &o.Spec.Replicas, o.Status.Replicas, labels.SelectorFromSet(o.Spec.Selector).String()
	}),
}

// scalerFor is the Scaler of r, nil if r has no …/scale subresource.
func scalerFor(r api.Resource) (generic.Scaler, error) {
	for _, sub := range r.Subresources {
		if sub.Name != "scale" {
			continue
		}
		if s, ok := scalers[r.GVR().GroupResource()]; ok {
			return s, nil
		}
		return nil, fmt.Errorf("%s has a scale subresource but no Scaler", r.Name)
	}
	return nil, nil
}

// replicas is the Scaler of a workload of Go type T: the function returns
// where T keeps spec.replicas (nil means 1), its status.replicas and its
// selector as a string.
type replicas[T runtime.Object] func(T) (spec **int32, status int32, selector string)

func (f replicas[T]) Scale(obj runtime.Object) (*autoscalingv1.Scale, error) {
	o, ok := obj.(T)
	if !ok {
		return nil, fmt.Errorf("%T has no scale subresource", obj)
	}
	spec, status, selector := f(o)
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	return &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: m.GetName(), Namespace: m.GetNamespace(), UID: m.GetUID(),
			ResourceVersion: m.GetResourceVersion(), CreationTimestamp: m.GetCreationTimestamp()},
		Spec:   autoscalingv1.ScaleSpec{Replicas: ptr.Deref(*spec, 1)},
		Status: autoscalingv1.ScaleStatus{Replicas: status, Selector: selector},
	}, nil
}

func (f replicas[T]) SetReplicas(obj runtime.Object, n int32) error {
	o, ok := obj.(T)
	if !ok {
		return fmt.Errorf("%T has no scale subresource", obj)
	}
	spec, _, _ := f(o)
	*spec = &n
	return nil
}

func selectorString(s *metav1.LabelSelector) string {
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return ""
	}
	return sel.String()
}
