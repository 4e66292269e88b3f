package validation

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// podUpdateForbiddenMsg is upstream's message for spec changes outside the
// mutable set, word for word (clients grep for it).
const podUpdateForbiddenMsg = "pod updates may not change fields other than `spec.containers[*].image`," +
	"`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations)," +
	"`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

// validatePodUpdate applies upstream's "only a few fields are mutable" rule.
func validatePodUpdate(pod, old *corev1.Pod) field.ErrorList {
	errs := metaUpdate(&pod.ObjectMeta, &old.ObjectMeta)
	sp := field.NewPath("spec")
	errs = append(errs, validatePodSpec(&pod.Spec, sp, podSpecOpts{isPod: true})...)
	errs = append(errs, validatePodResizePolicies(&pod.Spec, sp, false)...)

	if len(pod.Spec.Containers) != len(old.Spec.Containers) || len(pod.Spec.InitContainers) != len(old.Spec.InitContainers) {
		return append(errs, field.Forbidden(sp.Child("containers"), "pod updates may not add or remove containers"))
	}
	if a, o := pod.Spec.ActiveDeadlineSeconds, old.Spec.ActiveDeadlineSeconds; o != nil {
		ap := sp.Child("activeDeadlineSeconds")
		if a == nil {
			errs = append(errs, field.Invalid(ap, a, "must not update from a positive integer to nil value"))
		} else if *a > *o {
			errs = append(errs, field.Invalid(ap, *a, "must be less than or equal to previous value"))
		}
	}

	// Overlay the mutable fields of the new spec onto a copy of the old one;
	// anything left different is a forbidden change.
	munged := old.Spec.DeepCopy()
	for i := range munged.Containers {
		munged.Containers[i].Image = pod.Spec.Containers[i].Image
	}
	for i := range munged.InitContainers {
		munged.InitContainers[i].Image = pod.Spec.InitContainers[i].Image
	}
	munged.ActiveDeadlineSeconds = pod.Spec.ActiveDeadlineSeconds
	if tolerationsAdded(old.Spec.Tolerations, pod.Spec.Tolerations) {
		munged.Tolerations = pod.Spec.Tolerations
	}
	if o, n := old.Spec.TerminationGracePeriodSeconds, pod.Spec.TerminationGracePeriodSeconds; o != nil && *o < 0 && n != nil && *n == 1 {
		munged.TerminationGracePeriodSeconds = n
	}
	// Scheduling gates may only be removed; while gated, node selectors may
	// be added.
	if gatesRemoved(old.Spec.SchedulingGates, pod.Spec.SchedulingGates) {
		munged.SchedulingGates = pod.Spec.SchedulingGates
		if len(old.Spec.SchedulingGates) > 0 && mapAdds(old.Spec.NodeSelector, pod.Spec.NodeSelector) {
			munged.NodeSelector = pod.Spec.NodeSelector
		}
	} else {
		errs = append(errs, field.Forbidden(sp.Child("schedulingGates"), "only deletion is allowed, but found new scheduling gate"))
		munged.SchedulingGates = pod.Spec.SchedulingGates
	}
	if !semanticEqual(&pod.Spec, munged) {
		errs = append(errs, field.Forbidden(sp, podUpdateForbiddenMsg))
	}
	return errs
}

func tolerationsAdded(old, cur []corev1.Toleration) bool {
	for _, o := range old {
		found := false
		for _, c := range cur {
			ot, ct := o, c
			ot.TolerationSeconds, ct.TolerationSeconds = nil, nil
			if semanticEqual(ot, ct) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func gatesRemoved(old, cur []corev1.PodSchedulingGate) bool {
	have := sets.New[string]()
	for _, g := range old {
		have.Insert(g.Name)
	}
	for _, g := range cur {
		if !have.Has(g.Name) {
			return false
		}
	}
	return true
}

func mapAdds(old, cur map[string]string) bool {
	for k, v := range old {
		if cv, ok := cur[k]; !ok || cv != v {
			return false
		}
	}
	return true
}

var terminalPhases = sets.New(corev1.PodSucceeded, corev1.PodFailed)

func validatePodStatus(pod, old *corev1.Pod) field.ErrorList {
	var errs field.ErrorList
	sp := field.NewPath("status")
	if pod.Spec.NodeName != old.Spec.NodeName {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "nodeName"), "cannot be changed"))
	}
	if terminalPhases.Has(old.Status.Phase) && pod.Status.Phase != old.Status.Phase {
		errs = append(errs, field.Forbidden(sp.Child("phase"), fmt.Sprintf("cannot transition from terminal phase %s", old.Status.Phase)))
	}
	errs = append(errs, optionalEnum(pod.Status.Phase, sp.Child("phase"),
		corev1.PodPending, corev1.PodRunning, corev1.PodSucceeded, corev1.PodFailed, corev1.PodUnknown)...)
	if pod.Status.PodIP != "" {
		errs = append(errs, utilvalidation.IsValidIP(sp.Child("podIP"), pod.Status.PodIP)...)
	}
	for i, ip := range pod.Status.PodIPs {
		errs = append(errs, utilvalidation.IsValidIP(sp.Child("podIPs").Index(i).Child("ip"), ip.IP)...)
	}
	if len(pod.Status.PodIPs) > 0 && pod.Status.PodIP != "" && pod.Status.PodIPs[0].IP != pod.Status.PodIP {
		errs = append(errs, field.Invalid(sp.Child("podIPs").Index(0).Child("ip"), pod.Status.PodIPs[0].IP, "must match status.podIP"))
	}
	if pod.Status.HostIP != "" {
		errs = append(errs, utilvalidation.IsValidIP(sp.Child("hostIP"), pod.Status.HostIP)...)
	}
	for i, ip := range pod.Status.HostIPs {
		errs = append(errs, utilvalidation.IsValidIP(sp.Child("hostIPs").Index(i).Child("ip"), ip.IP)...)
	}
	for name, list := range map[string][]corev1.ContainerStatus{
		"containerStatuses": pod.Status.ContainerStatuses, "initContainerStatuses": pod.Status.InitContainerStatuses,
	} {
		for i, cs := range list {
			errs = append(errs, nonNegative(int64(cs.RestartCount), sp.Child(name).Index(i).Child("restartCount"))...)
		}
	}
	return errs
}

// Binding (pods/binding) names a node for a pod.
func validateBinding(b *corev1.Binding) field.ErrorList {
	var errs field.ErrorList
	if b.Target.Kind != "" && b.Target.Kind != "Node" {
		errs = append(errs, field.NotSupported(field.NewPath("target", "kind"), b.Target.Kind, []string{"Node", "<empty>"}))
	}
	if b.Target.Name == "" {
		errs = append(errs, field.Required(field.NewPath("target", "name"), ""))
	}
	return errs
}
