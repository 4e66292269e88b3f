package generic

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Scaler is what a resource with a …/scale subresource knows about its
// objects: the autoscaling/v1 Scale view of one, and how a Scale's
// spec.replicas is written back. The HTTP layer serves …/scale through it
// without knowing the resource. Implementations must be safe for
// concurrent use.
type Scaler interface {
	// Scale is the Scale view of obj: its name, namespace, uid,
	// resourceVersion and creationTimestamp, its desired and current
	// replicas and its label selector as a string.
	Scale(obj runtime.Object) (*autoscalingv1.Scale, error)
	// SetReplicas sets obj's desired replicas to n in place.
	SetReplicas(obj runtime.Object, n int32) error
}
