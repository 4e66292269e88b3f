package resourceslice

import (
	resourcev1 "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// NewStrategy returns the strategy for the resourceslices resource r:
// the default one with upstream's selectable fields. A slice without a
// node name selects as spec.nodeName="".
func NewStrategy(r api.Resource) generic.Default {
	return generic.Default{Resource: r, ExtraFields: func(obj runtime.Object) fields.Set {
		s := obj.(*resourcev1.ResourceSlice)
		nodeName := ""
		if s.Spec.NodeName != nil {
			nodeName = *s.Spec.NodeName
		}
		return fields.Set{
			resourcev1.ResourceSliceSelectorNodeName: nodeName,
			resourcev1.ResourceSliceSelectorDriver:   s.Spec.Driver,
			resourcev1.ResourceSliceSelectorPoolName: s.Spec.Pool.Name,
		}
	}}
}
