package secret

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Strategy is the secrets strategy.
type Strategy struct {
	generic.Default
}

var _ generic.Strategy = Strategy{}

// NewStrategy returns the secrets strategy.
func NewStrategy(r api.Resource) generic.Strategy {
	return Strategy{generic.Default{Resource: r, ExtraFields: func(obj runtime.Object) fields.Set {
		return fields.Set{"type": string(obj.(*corev1.Secret).Type)}
	}}}
}

func (s Strategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	s.Default.PrepareForCreate(ctx, obj)
	foldStringData(obj.(*corev1.Secret))
}

func (s Strategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	s.Default.PrepareForUpdate(ctx, obj, old)
	foldStringData(obj.(*corev1.Secret))
}

// foldStringData merges stringData into data, stringData winning, and
// clears it: stringData is an input-only convenience that is never
// stored or returned (upstream does this when converting to the internal
// type, so validation already sees the merged data).
func foldStringData(s *corev1.Secret) {
	if len(s.StringData) == 0 {
		s.StringData = nil
		return
	}
	if s.Data == nil {
		s.Data = make(map[string][]byte, len(s.StringData))
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
}
