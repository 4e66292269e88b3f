// Package secret is the secrets resource: selectable by type.
package secret

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// NewStrategy returns the secrets strategy.
func NewStrategy(r api.Resource) generic.Strategy {
	return generic.Default{Resource: r, ExtraFields: func(obj runtime.Object) fields.Set {
		return fields.Set{"type": string(obj.(*corev1.Secret).Type)}
	}}
}
