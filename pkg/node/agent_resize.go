package node

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// In-place pod resize (KEP-1287), as the kubelet's allocation manager
// does it. A pod's spec resources are what is desired; the record's
// allocated resources are what the node admitted (status
// allocatedResources); each container's actuated resources are what its
// cgroups were given (status resources). Each sync:
//
//  1. allocateResize: a change of desired resources is admitted when
//     the pod's requests fit the node's allocatable beside the other
//     pods' allocated requests; otherwise the pod carries
//     PodResizePending (Infeasible: larger than the node; Deferred: does
//     not fit now, retried).
//  2. actuateResize: each running container whose actuated resources
//     differ from its allocation is updated in place through CRI
//     UpdateContainerResources, or, when a resizePolicy of a changed
//     resource says RestartContainer, restarted with the new resources.
//     A failed update leaves PodResizeInProgress with reason Error.
//
// The containers are (re)created from the allocation, not the spec.

// resizeRetry is how soon a deferred resize is tried again.
const resizeRetry = 5 * time.Second

// resizeState is a pod record's resize bookkeeping.
type resizeState struct {
	// allocated is the admitted resources of each container by name
	// (init and regular), nil until the pod's first sync.
	allocated map[string]corev1.ResourceRequirements
	// allocatedRequests sums the allocation (cpu, memory) for other
	// pods' fit checks; guarded by Agent.mu.
	allocatedRequests corev1.ResourceList
	// pendingReason and pendingMessage explain a resize not admitted
	// (PodResizePending); empty when none waits.
	pendingReason, pendingMessage string
	// actuateErr is the last failed in-place update (PodResizeInProgress
	// reason Error).
	actuateErr string
}

// resizableContainers are the containers resize applies to, init first.
func resizableContainers(spec *corev1.PodSpec) []*corev1.Container {
	var out []*corev1.Container
	for i := range spec.InitContainers {
		out = append(out, &spec.InitContainers[i])
	}
	for i := range spec.Containers {
		out = append(out, &spec.Containers[i])
	}
	return out
}

// allocateResize admits what it can of pod's desired resources and
// returns the pod to run: pod itself when the allocation is the spec, a
// copy carrying the allocation otherwise; and when to sync again (a
// deferred resize).
func (a *Agent) allocateResize(pod *corev1.Pod, rec *podRecord) (*corev1.Pod, time.Duration) {
	rs := &rec.resize
	ctrs := resizableContainers(&pod.Spec)
	if rs.allocated == nil {
		rs.allocated = map[string]corev1.ResourceRequirements{}
		for _, c := range ctrs {
			rs.allocated[c.Name] = *c.Resources.DeepCopy()
			if cr := rec.containers[c.Name]; cr != nil && cr.id != "" && cr.actuated == nil {
				cr.actuated = c.Resources.DeepCopy() // adopted from an earlier run
			}
		}
		a.setAllocatedRequests(rec, pod.Spec)
		return pod, 0
	}
	rs.pendingReason, rs.pendingMessage = "", ""
	if !allocationDiffers(ctrs, rs.allocated) {
		return pod, 0
	}
	var retry time.Duration
	if reason, msg := a.resizeFits(pod, rec); reason != "" {
		rs.pendingReason, rs.pendingMessage = reason, msg
		if reason == corev1.PodReasonDeferred {
			retry = resizeRetry
		}
	} else {
		for _, c := range ctrs {
			rs.allocated[c.Name] = *c.Resources.DeepCopy()
		}
		a.setAllocatedRequests(rec, pod.Spec)
		return pod, 0
	}
	run := pod.DeepCopy()
	for _, c := range resizableContainers(&run.Spec) {
		if alloc, ok := rs.allocated[c.Name]; ok {
			c.Resources = *alloc.DeepCopy()
		}
	}
	return run, retry
}

func allocationDiffers(ctrs []*corev1.Container, allocated map[string]corev1.ResourceRequirements) bool {
	for _, c := range ctrs {
		if alloc, ok := allocated[c.Name]; ok && !apiequality.Semantic.DeepEqual(alloc, c.Resources) {
			return true
		}
	}
	return false
}

// podRequests is what a pod needs of cpu and memory, as the scheduler
// counts it: the regular containers and sidecars together, or the
// largest init container beside the sidecars started before it.
func podRequests(spec *corev1.PodSpec) corev1.ResourceList {
	out := corev1.ResourceList{}
	add := func(to corev1.ResourceList, from corev1.ResourceList) {
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if q, ok := from[name]; ok {
				sum := to[name]
				sum.Add(q)
				to[name] = sum
			}
		}
	}
	sidecars := corev1.ResourceList{}
	initPeak := corev1.ResourceList{}
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		if isSidecar(c) {
			add(sidecars, c.Resources.Requests)
			continue
		}
		cand := corev1.ResourceList{}
		add(cand, sidecars)
		add(cand, c.Resources.Requests)
		for name, q := range cand {
			if p, ok := initPeak[name]; !ok || q.Cmp(p) > 0 {
				initPeak[name] = q
			}
		}
	}
	add(out, sidecars)
	for i := range spec.Containers {
		add(out, spec.Containers[i].Resources.Requests)
	}
	for name, q := range initPeak {
		if p, ok := out[name]; !ok || q.Cmp(p) > 0 {
			out[name] = q
		}
	}
	return out
}

func (a *Agent) setAllocatedRequests(rec *podRecord, spec corev1.PodSpec) {
	alloc := spec.DeepCopy()
	for _, c := range resizableContainers(alloc) {
		if r, ok := rec.resize.allocated[c.Name]; ok {
			c.Resources = r
		}
	}
	reqs := podRequests(alloc)
	a.mu.Lock()
	defer a.mu.Unlock()
	rec.resize.allocatedRequests = reqs
}

// nodeAllocatable is what pods may request of the node.
func (a *Agent) nodeAllocatable(ns *nodeState) corev1.ResourceList {
	if ns.machine != nil {
		return ns.machine.allocatable
	}
	out := corev1.ResourceList{}
	if !a.cfg.CPU.IsZero() {
		out[corev1.ResourceCPU] = a.cfg.CPU
	}
	if !a.cfg.Memory.IsZero() {
		out[corev1.ResourceMemory] = a.cfg.Memory
	}
	return out
}

// resizeFits returns why pod's desired resources cannot be admitted
// (upstream's reasons and messages), "" if they can.
func (a *Agent) resizeFits(pod *corev1.Pod, rec *podRecord) (reason, message string) {
	want := podRequests(&pod.Spec)
	alloc := a.nodeAllocatable(rec.node)
	used := corev1.ResourceList{}
	a.mu.Lock()
	for _, other := range a.records {
		if other == rec || other.node != rec.node {
			continue
		}
		for name, q := range other.resize.allocatedRequests {
			sum := used[name]
			sum.Add(q)
			used[name] = sum
		}
	}
	a.mu.Unlock()
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		capacity, ok := alloc[name]
		if !ok {
			continue
		}
		req := want[name]
		if req.Cmp(capacity) > 0 {
			return corev1.PodReasonInfeasible, fmt.Sprintf("Node didn't have enough capacity: %s, requested: %d, capacity: %d",
				name, quantityUnits(name, req), quantityUnits(name, capacity))
		}
		total := used[name]
		total.Add(req)
		if total.Cmp(capacity) > 0 {
			u := used[name]
			return corev1.PodReasonDeferred, fmt.Sprintf("Node didn't have enough resource: %s, requested: %d, used: %d, capacity: %d",
				name, quantityUnits(name, req), quantityUnits(name, u), quantityUnits(name, capacity))
		}
	}
	return "", ""
}

// quantityUnits: millicores for cpu, bytes otherwise (upstream's
// messages).
func quantityUnits(name corev1.ResourceName, q resource.Quantity) int64 {
	if name == corev1.ResourceCPU {
		return q.MilliValue()
	}
	return q.Value()
}

// actuateResize brings each running container's cgroups to its
// allocation (pod is the pod to run, carrying the allocation).
func (a *Agent) actuateResize(ctx context.Context, pod *corev1.Pod, rec *podRecord) error {
	rec.resize.actuateErr = ""
	rt := rec.node.runtime
	for _, c := range resizableContainers(&pod.Spec) {
		cr := rec.containers[c.Name]
		if cr == nil || cr.id == "" || cr.actuated == nil || apiequality.Semantic.DeepEqual(*cr.actuated, c.Resources) {
			continue
		}
		resp, err := rt.ContainerStatus(ctx, cr.id, false)
		if err != nil {
			return fmt.Errorf("container %s status: %w", c.Name, err)
		}
		st := resp.GetStatus()
		if st.GetState() != runtimeapi.ContainerState_CONTAINER_RUNNING {
			continue // a new instance starts with the allocation
		}
		if needsRestart(c, cr.actuated) {
			// RestartContainer: the kubelet kills the container and
			// starts it again with the new resources, whatever the
			// pod's restartPolicy.
			if err := rt.StopContainer(ctx, cr.id, terminationGrace(pod)); err != nil {
				return fmt.Errorf("stopping container %s for resize: %w", c.Name, err)
			}
			if resp, err = rt.ContainerStatus(ctx, cr.id, false); err != nil {
				return fmt.Errorf("container %s status: %w", c.Name, err)
			}
			cr.last = terminatedState(c, resp.GetStatus(), a.containerIDPrefix(rec))
			if err := rt.RemoveContainer(ctx, cr.id); err != nil {
				return err
			}
			cr.id, cr.restartAt, cr.actuated = "", time.Time{}, nil
			cr.restarts++
			continue
		}
		res := &runtimeapi.ContainerResources{Linux: containerResources(c)}
		if err := rt.UpdateContainerResources(ctx, cr.id, res); err != nil {
			rec.resize.actuateErr = fmt.Sprintf("error updating container %s resources: %v", c.Name, err)
			a.log.Warn("node: in-place resize failed", "pod", pod.Namespace+"/"+pod.Name, "container", c.Name, "err", err)
			continue
		}
		cr.actuated = c.Resources.DeepCopy()
	}
	return nil
}

// terminationGrace is the pod's grace period for a resize restart.
func terminationGrace(pod *corev1.Pod) int64 {
	if g := pod.Spec.TerminationGracePeriodSeconds; g != nil {
		return *g
	}
	return corev1.DefaultTerminationGracePeriodSeconds
}

// needsRestart reports whether a resource of c that changed from old
// has a RestartContainer resize policy.
func needsRestart(c *corev1.Container, old *corev1.ResourceRequirements) bool {
	for _, p := range c.ResizePolicy {
		if p.RestartPolicy != corev1.RestartContainer {
			continue
		}
		n := p.ResourceName
		oq, nq := old.Requests[n], c.Resources.Requests[n]
		ol, nl := old.Limits[n], c.Resources.Limits[n]
		if oq.Cmp(nq) != 0 || ol.Cmp(nl) != 0 {
			return true
		}
	}
	return false
}

// resizeStatus fills the containers' allocatedResources and resources
// and the resize conditions of status; generation is the pod's.
func resizeStatus(pod *corev1.Pod, rec *podRecord, status *corev1.PodStatus, now time.Time) {
	inProgress := false
	fill := func(list []corev1.ContainerStatus) {
		for i := range list {
			cs := &list[i]
			alloc, ok := rec.resize.allocated[cs.Name]
			if !ok {
				continue
			}
			if len(alloc.Requests) > 0 {
				cs.AllocatedResources = alloc.Requests.DeepCopy()
			}
			cr := rec.containers[cs.Name]
			if cr == nil || cr.actuated == nil || cs.ContainerID == "" {
				continue
			}
			cs.Resources = &corev1.ResourceRequirements{Requests: cr.actuated.Requests.DeepCopy(), Limits: cr.actuated.Limits.DeepCopy()}
			if cs.State.Running != nil && !apiequality.Semantic.DeepEqual(*cr.actuated, alloc) {
				inProgress = true
			}
		}
	}
	fill(status.InitContainerStatuses)
	fill(status.ContainerStatuses)

	var conds []corev1.PodCondition
	keep := func(t corev1.PodConditionType, reason, msg string) {
		c := corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, Reason: reason, Message: msg, ObservedGeneration: pod.Generation}
		c.LastProbeTime = metav1.NewTime(now.Truncate(time.Second))
		c.LastTransitionTime = c.LastProbeTime
		for _, old := range pod.Status.Conditions {
			if old.Type == t && old.Status == c.Status {
				c.LastTransitionTime = old.LastTransitionTime
			}
		}
		conds = append(conds, c)
	}
	if rec.resize.pendingReason != "" {
		keep(corev1.PodResizePending, rec.resize.pendingReason, rec.resize.pendingMessage)
	}
	if rec.resize.actuateErr != "" {
		keep(corev1.PodResizeInProgress, corev1.PodReasonError, rec.resize.actuateErr)
	} else if inProgress {
		keep(corev1.PodResizeInProgress, "", "")
	}
	out := status.Conditions[:0]
	for _, c := range status.Conditions {
		if c.Type != corev1.PodResizePending && c.Type != corev1.PodResizeInProgress {
			out = append(out, c)
		}
	}
	status.Conditions = append(out, conds...)
}
