package pod

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Priority is upstream's Priority admission for pods: on create it
// resolves spec.priorityClassName (or the globalDefault class, if none
// is named) into spec.priority and spec.preemptionPolicy. A pod that sets
// a different priority or policy itself, or names a missing class, is
// Forbidden, with upstream's messages.
type Priority struct {
	Classes *generic.Store
}

// Admit admits a pod create (the Priority plugin of
// pkg/registry/admission.go).
func (p Priority) Admit(ctx context.Context, obj runtime.Object, _ bool) error {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil
	}
	forbidden := func(err error) error {
		return apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, pod.Name, err)
	}
	var priority int32
	policy := corev1.PreemptLowerPriority
	if pod.Spec.PriorityClassName == "" {
		def, err := p.globalDefault(ctx)
		if err != nil {
			return err
		}
		if def != nil {
			pod.Spec.PriorityClassName, priority = def.Name, def.Value
			if def.PreemptionPolicy != nil {
				policy = *def.PreemptionPolicy
			}
		}
	} else {
		obj, err := p.Classes.GetFromCache(ctx, "", pod.Spec.PriorityClassName)
		if apierrors.IsNotFound(err) {
			return forbidden(fmt.Errorf("no PriorityClass with name %v was found", pod.Spec.PriorityClassName))
		}
		if err != nil {
			return fmt.Errorf("failed to resolve PriorityClass with name %s: %w", pod.Spec.PriorityClassName, err)
		}
		pc := obj.(*schedulingv1.PriorityClass)
		priority = pc.Value
		if pc.PreemptionPolicy != nil {
			policy = *pc.PreemptionPolicy
		}
	}
	if pod.Spec.Priority != nil && *pod.Spec.Priority != priority {
		return forbidden(fmt.Errorf("the integer value of priority (%d) must not be provided in pod spec; priority admission controller computed %d from the given PriorityClass name", *pod.Spec.Priority, priority))
	}
	pod.Spec.Priority = &priority
	if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy != policy {
		return forbidden(fmt.Errorf("the string value of PreemptionPolicy (%s) must not be provided in pod spec; priority admission controller computed %s from the given PriorityClass name", *pod.Spec.PreemptionPolicy, policy))
	}
	pod.Spec.PreemptionPolicy = &policy
	return nil
}

// globalDefault returns the globalDefault class with the lowest value
// (two can exist after a race), or nil.
func (p Priority) globalDefault(ctx context.Context) (*schedulingv1.PriorityClass, error) {
	obj, err := p.Classes.ListFromCache(ctx, "")
	if err != nil {
		return nil, err
	}
	var def *schedulingv1.PriorityClass
	for i, pc := range obj.(*schedulingv1.PriorityClassList).Items {
		if pc.GlobalDefault && (def == nil || pc.Value < def.Value) {
			def = &obj.(*schedulingv1.PriorityClassList).Items[i]
		}
	}
	return def, nil
}
