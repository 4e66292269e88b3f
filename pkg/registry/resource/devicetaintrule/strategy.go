package devicetaintrule

import (
	"context"
	"time"

	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Strategy is the DeviceTaintRule strategy.
type Strategy struct {
	generic.Default
	// Now is the clock timeAdded is stamped with; nil means time.Now.
	Now func() time.Time
}

var _ generic.Strategy = Strategy{}

// NewStrategy returns the strategy for the devicetaintrules resource r.
func NewStrategy(r api.Resource) Strategy {
	return Strategy{Default: generic.Default{Resource: r}}
}

// PrepareForUpdate keeps the status and, when the effect changes but
// timeAdded does not, sets timeAdded to now (to the second).
func (s Strategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	s.Default.PrepareForUpdate(ctx, obj, old)
	t, o := &obj.(*resourcev1.DeviceTaintRule).Spec.Taint, &old.(*resourcev1.DeviceTaintRule).Spec.Taint
	if t.Effect != o.Effect && t.TimeAdded.Equal(o.TimeAdded) {
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		t.TimeAdded = &metav1.Time{Time: now().Truncate(time.Second)}
	}
}
