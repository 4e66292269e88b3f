package deployment

import (
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Strategy is the deployments strategy.
type Strategy struct {
	generic.Default
}

var (
	_ generic.Strategy          = Strategy{}
	_ generic.GenerationTrigger = Strategy{}
)

// NewStrategy returns the deployments strategy.
func NewStrategy(r api.Resource) generic.Strategy {
	return Strategy{generic.Default{Resource: r}}
}

// BumpsGeneration: an annotation change is a new desired state too.
func (Strategy) BumpsGeneration(obj, old runtime.Object) bool {
	n, errN := meta.Accessor(obj)
	o, errO := meta.Accessor(old)
	if errN != nil || errO != nil {
		return false
	}
	return !equality.Semantic.DeepEqual(n.GetAnnotations(), o.GetAnnotations())
}
