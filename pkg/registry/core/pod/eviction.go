package pod

import (
	"context"
	"errors"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Evict deletes a pod unless that would violate a PodDisruptionBudget
// whose status allows no more disruptions (429, as upstream). An allowed
// eviction first takes one disruption from the budget — decrements
// status.disruptionsAllowed and records the pod in status.disruptedPods,
// in one compare-and-swap — so two quick evictions cannot both spend the
// last one; the disruption controller recomputes the status afterwards.
func Evict(ctx context.Context, pods, pdbs *generic.Store, ns string, ev *policyv1.Eviction, dryRun bool) error {
	obj, err := pods.Get(ctx, ns, ev.Name, nil)
	if err != nil {
		return err
	}
	pod := obj.(*corev1.Pod)
	terminal := pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
	if !terminal && pod.DeletionTimestamp == nil {
		list, err := pdbs.List(ctx, ns, &metav1.ListOptions{})
		if err != nil {
			return err
		}
		var matching []policyv1.PodDisruptionBudget
		for _, pdb := range list.(*policyv1.PodDisruptionBudgetList).Items {
			sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
			if err != nil || sel.Empty() || !sel.Matches(labels.Set(pod.Labels)) {
				continue
			}
			matching = append(matching, pdb)
		}
		if len(matching) > 1 {
			return apierrors.NewInternalError(errors.New("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."))
		}
		if len(matching) == 1 {
			if err := takeDisruption(ctx, pdbs, &matching[0], pod.Name, dryRun); err != nil {
				return err
			}
		}
	}
	opts := ev.DeleteOptions
	if opts == nil {
		opts = &metav1.DeleteOptions{}
	}
	_, _, err = pods.Delete(ctx, ns, ev.Name, opts, dryRun)
	return err
}

// takeDisruption spends one of pdb's allowed disruptions on pod, or
// returns the 429 that refuses the eviction. A dry run only checks.
func takeDisruption(ctx context.Context, pdbs *generic.Store, pdb *policyv1.PodDisruptionBudget, pod string, dryRun bool) error {
	check := func(p *policyv1.PodDisruptionBudget) error {
		if p.Status.ObservedGeneration < p.Generation {
			e := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
			e.ErrStatus.Details.Causes = append(e.ErrStatus.Details.Causes, metav1.StatusCause{
				Type: policyv1.DisruptionBudgetCause, Message: "The disruption budget " + p.Name + " is still being processed by the server."})
			return e
		}
		if p.Status.DisruptionsAllowed <= 0 {
			e := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
			e.ErrStatus.Details.Causes = append(e.ErrStatus.Details.Causes, metav1.StatusCause{
				Type: policyv1.DisruptionBudgetCause, Message: "The disruption budget " + p.Name + " needs " +
					strconv.Itoa(int(p.Status.DesiredHealthy)) + " healthy pods and has " + strconv.Itoa(int(p.Status.CurrentHealthy)) + " currently"})
			return e
		}
		return nil
	}
	if dryRun {
		return check(pdb)
	}
	_, _, err := pdbs.Update(ctx, pdb.Namespace, pdb.Name, func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		p := cur.(*policyv1.PodDisruptionBudget)
		if err := check(p); err != nil {
			return nil, err
		}
		p.Status.DisruptionsAllowed--
		if p.Status.DisruptedPods == nil {
			p.Status.DisruptedPods = map[string]metav1.Time{}
		}
		p.Status.DisruptedPods[pod] = metav1.Now()
		return p, nil
	}, generic.UpdateOptions{Strategy: generic.StatusStrategy{Strategy: pdbs.Strategy}})
	return err
}
