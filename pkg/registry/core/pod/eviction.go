package pod

import (
	"context"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Evict deletes a pod unless that would violate a PodDisruptionBudget
// whose status allows no more disruptions (429, as upstream). The
// disruption controller keeps PDB status current.
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
		for _, pdb := range list.(*policyv1.PodDisruptionBudgetList).Items {
			sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
			if err != nil || sel.Empty() || !sel.Matches(labels.Set(pod.Labels)) {
				continue
			}
			if pdb.Status.DisruptionsAllowed <= 0 {
				e := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10)
				e.ErrStatus.Details.Causes = append(e.ErrStatus.Details.Causes, metav1.StatusCause{
					Type: policyv1.DisruptionBudgetCause, Message: "The disruption budget " + pdb.Name + " needs " +
						strconv.Itoa(int(pdb.Status.DesiredHealthy)) + " healthy pods and has " + strconv.Itoa(int(pdb.Status.CurrentHealthy)) + " currently"})
				return e
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
