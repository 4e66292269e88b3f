package pod

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Bind assigns a pending pod to a node (pods/binding, and the bindings
// resource the scheduler posts to). A pod already bound is a 409.
func Bind(ctx context.Context, pods *generic.Store, ns string, b *corev1.Binding, dryRun bool) error {
	if b.Target.Name == "" {
		return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Binding").GroupKind(), b.Name,
			field.ErrorList{field.Required(field.NewPath("target", "name"), "")})
	}
	_, _, err := pods.Update(ctx, ns, b.Name, func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		p := cur.(*corev1.Pod)
		if p.DeletionTimestamp != nil {
			return nil, apierrors.NewConflict(pods.Resource.GVR().GroupResource(), b.Name, fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", b.Name))
		}
		if p.Spec.NodeName != "" {
			return nil, apierrors.NewConflict(pods.Resource.GVR().GroupResource(), b.Name,
				fmt.Errorf("pod %s is already assigned to node %q", b.Name, p.Spec.NodeName))
		}
		if b.UID != "" && b.UID != p.UID {
			return nil, apierrors.NewConflict(pods.Resource.GVR().GroupResource(), b.Name, fmt.Errorf("precondition failed: UID mismatch"))
		}
		p.Spec.NodeName = b.Target.Name
		for k, v := range b.Annotations {
			if p.Annotations == nil {
				p.Annotations = map[string]string{}
			}
			p.Annotations[k] = v
		}
		setCondition(p, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue})
		return p, nil
	}, generic.UpdateOptions{DryRun: dryRun, Strategy: bindStrategy{pods.Strategy}})
	return err
}

// bindStrategy lets a binding write spec.nodeName and the PodScheduled
// condition, which neither the main nor the status endpoint may do.
type bindStrategy struct{ generic.Strategy }

func (bindStrategy) PrepareForUpdate(context.Context, runtime.Object, runtime.Object) {}

// TracksGeneration: binding sets spec.nodeName, but that is the
// scheduler's placement, not a spec change the pod's generation counts
// (upstream writes bindings past the pod strategy).
func (bindStrategy) TracksGeneration() bool { return false }

// ValidateUpdate: Bind itself checks the one change it makes.
func (bindStrategy) ValidateUpdate(context.Context, runtime.Object, runtime.Object) field.ErrorList {
	return nil
}

func setCondition(p *corev1.Pod, c corev1.PodCondition) {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == c.Type {
			p.Status.Conditions[i].Status = c.Status
			return
		}
	}
	p.Status.Conditions = append(p.Status.Conditions, c)
}
