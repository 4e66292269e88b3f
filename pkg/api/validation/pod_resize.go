package validation

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	resizeResources = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}
	resizePolicies  = []corev1.ResourceResizeRestartPolicy{corev1.NotRequired, corev1.RestartContainer}
)

// validateResizePolicy checks a container's resizePolicy: one rule per
// resource, cpu and memory only, a known restart policy, and no
// RestartContainer in a pod that never restarts (upstream's rules).
func validateResizePolicy(rules []corev1.ContainerResizePolicy, p *field.Path, podRestart corev1.RestartPolicy) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[corev1.ResourceName]()
	for i, r := range rules {
		if seen.Has(r.ResourceName) {
			errs = append(errs, field.Duplicate(p.Index(i), r.ResourceName))
		}
		seen.Insert(r.ResourceName)
		switch r.ResourceName {
		case corev1.ResourceCPU, corev1.ResourceMemory:
		case "":
			errs = append(errs, field.Required(p, ""))
		default:
			errs = append(errs, field.NotSupported(p, r.ResourceName, resizeResources))
		}
		switch r.RestartPolicy {
		case corev1.NotRequired, corev1.RestartContainer:
		case "":
			errs = append(errs, field.Required(p, ""))
		default:
			errs = append(errs, field.NotSupported(p, r.RestartPolicy, resizePolicies))
		}
		if podRestart == corev1.RestartPolicyNever && r.RestartPolicy != corev1.NotRequired {
			errs = append(errs, field.Invalid(p, r.RestartPolicy, "must be 'NotRequired' when pod `restartPolicy` is 'Never'"))
		}
	}
	return errs
}

// validatePodResizePolicies runs validateResizePolicy over the pod's
// regular and init containers (ephemeral containers take none). New
// pods may not give a non-sidecar init container a RestartContainer
// rule; existing ones keep what they have (as upstream).
func validatePodResizePolicies(spec *corev1.PodSpec, p *field.Path, create bool) field.ErrorList {
	var errs field.ErrorList
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		rp := p.Child("initContainers").Index(i).Child("resizePolicy")
		errs = append(errs, validateResizePolicy(c.ResizePolicy, rp, spec.RestartPolicy)...)
		sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		for j, r := range c.ResizePolicy {
			if create && !sidecar && r.RestartPolicy == corev1.RestartContainer {
				errs = append(errs, field.Invalid(rp.Index(j).Child("restartPolicy"), r.RestartPolicy, "must not be set to 'RestartContainer' for non-sidecar initContainers"))
			}
		}
	}
	for i := range spec.Containers {
		errs = append(errs, validateResizePolicy(spec.Containers[i].ResizePolicy, p.Child("containers").Index(i).Child("resizePolicy"), spec.RestartPolicy)...)
	}
	return errs
}

// ValidatePodResize validates a write through pods/resize, where pod is
// old with the containers' resources and resize policies of the request
// (the strategy drops everything else). As upstream (1.37, where init
// container resize is GA): static and Windows pods cannot be resized;
// containers may not be added, removed, renamed or reordered; requests
// and limits may be changed or added but not removed; only cpu and
// memory may change; a non-sidecar init container with a
// RestartContainer rule cannot be resized; pod-level resources, which
// this cluster does not resize, may not change; and a pod whose running
// containers report no status resources sits on a node without resize
// support. The QoS class check is the strategy's (it owns the QoS
// computation).
func ValidatePodResize(pod, old *corev1.Pod) field.ErrorList {
	if _, ok := old.Annotations[corev1.MirrorPodAnnotationKey]; ok {
		return field.ErrorList{field.Forbidden(field.NewPath(""), "static pods cannot be resized")}
	}
	if old.Spec.OS != nil && old.Spec.OS.Name == corev1.Windows {
		return field.ErrorList{field.Forbidden(field.NewPath(""), "windows pods cannot be resized")}
	}
	sp := field.NewPath("spec")
	errs := metaUpdate(&pod.ObjectMeta, &old.ObjectMeta)
	errs = append(errs, validatePodSpec(&pod.Spec, sp, podSpecOpts{isPod: true})...)
	errs = append(errs, validatePodResizePolicies(&pod.Spec, sp, false)...)
	if !resizeSupported(old) {
		errs = append(errs, field.Forbidden(sp, "Pod running on node without support for resize"))
	}
	if !semanticEqual(pod.Spec.Resources, old.Spec.Resources) {
		errs = append(errs, field.Forbidden(sp.Child("resources"), "pod-level resources cannot be resized"))
	}
	if order := validateResizeOrdering(pod, old, sp); len(order) > 0 {
		return append(errs, order...)
	}

	munged := pod.Spec.DeepCopy()
	for i := range old.Spec.Containers {
		cp := sp.Child("containers").Index(i).Child("resources")
		errs = append(errs, validateResizeRemovals(&pod.Spec.Containers[i].Resources, &old.Spec.Containers[i].Resources, cp)...)
		keepOtherResources(&munged.Containers[i], &old.Spec.Containers[i])
		if !semanticEqual(munged.Containers[i], old.Spec.Containers[i]) {
			errs = append(errs, field.Forbidden(sp, "only cpu and memory resources are mutable"))
		}
	}
	for i := range old.Spec.InitContainers {
		ip := sp.Child("initContainers").Index(i)
		n, o := &pod.Spec.InitContainers[i], &old.Spec.InitContainers[i]
		errs = append(errs, validateResizeRemovals(&n.Resources, &o.Resources, ip.Child("resources"))...)
		changed := !semanticEqual(*n, *o)
		keepOtherResources(&munged.InitContainers[i], o)
		if !semanticEqual(munged.InitContainers[i], *o) {
			errs = append(errs, field.Forbidden(ip, "only cpu and memory resources for init or sidecar containers are mutable"))
		}
		sidecar := o.RestartPolicy != nil && *o.RestartPolicy == corev1.ContainerRestartPolicyAlways
		if changed && !sidecar {
			for _, r := range n.ResizePolicy {
				if r.RestartPolicy == corev1.RestartContainer {
					errs = append(errs, field.Forbidden(ip, "non-sidecar init containers with a resize policy of RestartContainer cannot be resized"))
				}
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if !semanticEqual(*munged, old.Spec) {
		errs = append(errs, field.Forbidden(sp, "only cpu and memory resources are mutable"))
	}
	return errs
}

// resizeSupported is upstream's version-skew guard: a pod whose first
// running container reports no status resources runs on a node that
// cannot resize; a pod with none running may be resized.
func resizeSupported(pod *corev1.Pod) bool {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Running != nil {
			return cs.Resources != nil
		}
	}
	return true
}

func validateResizeOrdering(pod, old *corev1.Pod, sp *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, l := range []struct {
		name     string
		cur, old []corev1.Container
	}{{"containers", pod.Spec.Containers, old.Spec.Containers}, {"initContainers", pod.Spec.InitContainers, old.Spec.InitContainers}} {
		if len(l.cur) != len(l.old) {
			errs = append(errs, field.Forbidden(sp.Child(l.name), fmt.Sprintf("%s may not be added or removed on resize", l.name)))
			continue
		}
		for i := range l.old {
			if l.cur[i].Name != l.old[i].Name {
				errs = append(errs, field.Forbidden(sp.Child(l.name).Index(i).Child("name"), fmt.Sprintf("%s may not be renamed or reordered on resize", l.name)))
			}
		}
	}
	return errs
}

// validateResizeRemovals forbids dropping a request or limit.
func validateResizeRemovals(cur, old *corev1.ResourceRequirements, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if removed(cur.Requests, old.Requests) {
		errs = append(errs, field.Forbidden(p.Child("requests"), "resource requests cannot be removed"))
	}
	if removed(cur.Limits, old.Limits) {
		errs = append(errs, field.Forbidden(p.Child("limits"), "resource limits cannot be removed"))
	}
	return errs
}

func removed(cur, old corev1.ResourceList) bool {
	for name := range old {
		if _, ok := cur[name]; !ok {
			return true
		}
	}
	return false
}

// keepOtherResources sets c's cpu and memory requests and limits back to
// old's, so that what still differs is a change resize does not allow.
func keepOtherResources(c, old *corev1.Container) {
	c.Resources.Requests = withOldCPUMemory(c.Resources.Requests, old.Resources.Requests)
	c.Resources.Limits = withOldCPUMemory(c.Resources.Limits, old.Resources.Limits)
}

func withOldCPUMemory(cur, old corev1.ResourceList) corev1.ResourceList {
	if cur == nil && old == nil {
		return nil
	}
	out := corev1.ResourceList{}
	for name, q := range cur {
		if name != corev1.ResourceCPU && name != corev1.ResourceMemory {
			out[name] = q
		}
	}
	for _, name := range resizeResources {
		if q, ok := old[name]; ok {
			out[name] = q
		}
	}
	if len(out) == 0 && old == nil {
		return nil
	}
	return out
}
