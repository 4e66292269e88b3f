package quota

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	resourcehelper "k8s.io/component-helpers/resource"
)

// Pods measures pods: their count ("pods" for pods not yet terminal,
// "count/pods" for all stored) and their compute requests and limits.
type Pods struct{}

var _ Evaluator = Pods{}

var podResources = []corev1.ResourceName{
	"count/pods", corev1.ResourcePods,
	corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage,
	corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory, corev1.ResourceRequestsEphemeralStorage,
	corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory, corev1.ResourceLimitsEphemeralStorage,
}

// mustSpecify are the names whose quota makes every container state
// them (upstream keeps this for compatibility and adds nothing to it).
var mustSpecify = []corev1.ResourceName{
	corev1.ResourceCPU, corev1.ResourceMemory,
	corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory,
	corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory,
}

func (Pods) GroupResource() schema.GroupResource { return schema.GroupResource{Resource: "pods"} }

func (Pods) MatchingResources(names []corev1.ResourceName) []corev1.ResourceName {
	out := intersect(names, podResources)
	for _, n := range names {
		s := string(n)
		switch {
		case strings.HasPrefix(s, corev1.ResourceHugePagesPrefix), strings.HasPrefix(s, corev1.ResourceRequestsHugePagesPrefix):
			out = append(out, n)
		case strings.HasPrefix(s, corev1.DefaultResourceRequestsPrefix) && !native(n):
			out = append(out, n) // an extended resource: requests.example.com/dongle
		}
	}
	return out
}

// native: unprefixed names and *kubernetes.io/ names.
func native(n corev1.ResourceName) bool {
	return !strings.Contains(string(n), "/") || strings.Contains(string(n), corev1.ResourceDefaultNamespacePrefix)
}

// extended: a name a pod may request that quota knows as requests.<name>.
func extended(n corev1.ResourceName) bool {
	if native(n) || strings.HasPrefix(string(n), corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	return len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+string(n))) == 0
}

func (Pods) MatchesScope(req corev1.ScopedResourceSelectorRequirement, obj runtime.Object) (bool, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return false, fmt.Errorf("expected a pod, got %T", obj)
	}
	switch req.ScopeName {
	case corev1.ResourceQuotaScopeTerminating:
		return Terminating(pod), nil
	case corev1.ResourceQuotaScopeNotTerminating:
		return !Terminating(pod), nil
	case corev1.ResourceQuotaScopeBestEffort:
		return bestEffort(pod), nil
	case corev1.ResourceQuotaScopeNotBestEffort:
		return !bestEffort(pod), nil
	case corev1.ResourceQuotaScopePriorityClass:
		if req.Operator == corev1.ScopeSelectorOpExists {
			return pod.Spec.PriorityClassName != "", nil
		}
		return matchesValue(req, pod.Spec.PriorityClassName)
	case corev1.ResourceQuotaScopeCrossNamespacePodAffinity:
		return crossNamespaceAffinity(pod), nil
	}
	return false, nil
}

// Terminating: the pod has an active deadline, so it ends by itself.
func Terminating(pod *corev1.Pod) bool {
	return pod.Spec.ActiveDeadlineSeconds != nil && *pod.Spec.ActiveDeadlineSeconds >= 0
}

// bestEffort: QoS class BestEffort, no cpu or memory request or limit.
func bestEffort(pod *corev1.Pod) bool {
	compute := func(l corev1.ResourceList) bool {
		for _, n := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if q, ok := l[n]; ok && !q.IsZero() {
				return true
			}
		}
		return false
	}
	if pod.Spec.Resources != nil && (compute(pod.Spec.Resources.Requests) || compute(pod.Spec.Resources.Limits)) {
		return false
	}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			if compute(c.Resources.Requests) || compute(c.Resources.Limits) {
				return false
			}
		}
	}
	return true
}

func crossNamespaceAffinity(pod *corev1.Pod) bool {
	if pod.Spec.Affinity == nil {
		return false
	}
	cross := func(t corev1.PodAffinityTerm) bool { return len(t.Namespaces) != 0 || t.NamespaceSelector != nil }
	anyCross := func(req []corev1.PodAffinityTerm, pref []corev1.WeightedPodAffinityTerm) bool {
		for _, t := range req {
			if cross(t) {
				return true
			}
		}
		for _, t := range pref {
			if cross(t.PodAffinityTerm) {
				return true
			}
		}
		return false
	}
	if a := pod.Spec.Affinity.PodAffinity; a != nil && anyCross(a.RequiredDuringSchedulingIgnoredDuringExecution, a.PreferredDuringSchedulingIgnoredDuringExecution) {
		return true
	}
	a := pod.Spec.Affinity.PodAntiAffinity
	return a != nil && anyCross(a.RequiredDuringSchedulingIgnoredDuringExecution, a.PreferredDuringSchedulingIgnoredDuringExecution)
}

// Constraints: under a quota on cpu or memory (requests or limits) every
// container must state them, unless the pod sets pod-level resources.
// The message is upstream's: "must specify limits.cpu for: c1,c2;
// requests.memory for: c1".
func (Pods) Constraints(required []corev1.ResourceName, obj runtime.Object) error {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return fmt.Errorf("expected a pod, got %T", obj)
	}
	if resourcehelper.IsPodLevelResourcesSet(pod) {
		return nil
	}
	required = intersect(required, mustSpecify)
	if len(required) == 0 {
		return nil
	}
	missing := map[corev1.ResourceName][]string{}
	for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for _, c := range cs {
			has := computeUsage(c.Resources.Requests, c.Resources.Limits)
			for _, n := range required {
				if _, ok := has[n]; !ok {
					missing[n] = append(missing[n], c.Name)
				}
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var parts []string
	for _, n := range Names(toList(missing)) {
		names := missing[n]
		sort.Strings(names)
		parts = append(parts, fmt.Sprintf("%s for: %s", n, strings.Join(dedupe(names), ",")))
	}
	return fmt.Errorf("must specify %s", strings.Join(parts, "; "))
}

func toList(m map[corev1.ResourceName][]string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for k := range m {
		out[k] = one()
	}
	return out
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// Usage: "count/pods" always (it counts what is stored); the rest only
// while the pod still holds its resources — not in a terminal phase, and
// not being deleted past its grace period (a pod stuck terminating on a
// lost node must not block its replacement).
func (Pods) Usage(obj runtime.Object, now time.Time) (corev1.ResourceList, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("expected a pod, got %T", obj)
	}
	out := corev1.ResourceList{"count/pods": one()}
	if !Charged(pod, now) {
		return out, nil
	}
	opts := resourcehelper.PodResourcesOptions{UseStatusResources: true}
	return Add(out, computeUsage(resourcehelper.PodRequests(pod, opts), resourcehelper.PodLimits(pod, opts))), nil
}

// Charged reports whether a pod's compute resources count at time now.
func Charged(pod *corev1.Pod, now time.Time) bool {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return false
	}
	if pod.DeletionTimestamp != nil && pod.DeletionGracePeriodSeconds != nil {
		end := pod.DeletionTimestamp.Add(time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second)
		if now.After(end) {
			return false
		}
	}
	return true
}

// computeUsage turns requests and limits into quota names: a cpu request
// is both "cpu" and "requests.cpu", a limit "limits.cpu"; hugepages and
// extended resources count by request.
func computeUsage(requests, limits corev1.ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{corev1.ResourcePods: one()}
	for _, r := range []struct{ name, plain, req, lim corev1.ResourceName }{
		{corev1.ResourceCPU, corev1.ResourceCPU, corev1.ResourceRequestsCPU, corev1.ResourceLimitsCPU},
		{corev1.ResourceMemory, corev1.ResourceMemory, corev1.ResourceRequestsMemory, corev1.ResourceLimitsMemory},
		{corev1.ResourceEphemeralStorage, corev1.ResourceEphemeralStorage, corev1.ResourceRequestsEphemeralStorage, corev1.ResourceLimitsEphemeralStorage},
	} {
		if q, ok := requests[r.name]; ok {
			out[r.plain] = q.DeepCopy()
			out[r.req] = q.DeepCopy()
		}
		if q, ok := limits[r.name]; ok {
			out[r.lim] = q.DeepCopy()
		}
	}
	for n, q := range requests {
		switch {
		case strings.HasPrefix(string(n), corev1.ResourceHugePagesPrefix):
			out[n] = q.DeepCopy()
			out[corev1.DefaultResourceRequestsPrefix+n] = q.DeepCopy()
		case extended(n) || strings.HasPrefix(string(n), "deviceclass.resource.kubernetes.io/"):
			out[corev1.DefaultResourceRequestsPrefix+n] = q.DeepCopy()
		}
	}
	return out
}
