package node

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// NewStrategy returns the nodes strategy.
func NewStrategy(r api.Resource) generic.Strategy {
	return generic.Default{Resource: r, ExtraFields: func(obj runtime.Object) fields.Set {
		return fields.Set{"spec.unschedulable": strconv.FormatBool(obj.(*corev1.Node).Spec.Unschedulable)}
	}}
}
