package node

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/utils/ptr"
)

// podStatus builds the status a kubelet reports for pod from the
// runtime's view of its containers. terminating: the pod is being
// deleted and its containers were stopped, so nothing restarts and the
// phase is final.
func (a *Agent) podStatus(ctx context.Context, pod *corev1.Pod, rec *podRecord, terminating bool) (corev1.PodStatus, error) {
	now := metav1.NewTime(a.cfg.Clock.Now().Truncate(time.Second))
	prefix := a.containerIDPrefix(rec)
	observe := func(c *corev1.Container) (*containerRecord, *runtimeapi.ContainerStatus, error) {
		cr := rec.containers[c.Name]
		if cr == nil || cr.id == "" {
			return cr, nil, nil
		}
		resp, err := rec.node.runtime.ContainerStatus(ctx, cr.id, false)
		if err != nil {
			return nil, nil, fmt.Errorf("container %s status: %w", c.Name, err)
		}
		return cr, resp.GetStatus(), nil
	}

	// Init containers, in order.
	initDone, initFailed := true, false
	var initStatuses []corev1.ContainerStatus
	var incomplete []string
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		cr, st, err := observe(c)
		if err != nil {
			return corev1.PodStatus{}, err
		}
		cs := containerStatus(c, cr, st, "PodInitializing", prefix)
		exited := st.GetState() == runtimeapi.ContainerState_CONTAINER_EXITED
		done := (isSidecar(c) && st.GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING && a.started(rec, c, st)) || (exited && st.GetExitCode() == 0)
		if !isSidecar(c) {
			cs.Ready = exited && st.GetExitCode() == 0
		}
		if !done {
			if initDone {
				initFailed = exited && (pod.Spec.RestartPolicy == corev1.RestartPolicyNever || terminating)
			}
			initDone = false
			incomplete = append(incomplete, c.Name)
		}
		initStatuses = append(initStatuses, cs)
	}

	// Regular containers, sorted by name as the kubelet reports them.
	var statuses []corev1.ContainerStatus
	var unready []string
	// neverRan counts containers waiting that have not run yet (an
	// image still being pulled): the pod is Pending, as the kubelet's
	// getPhase says.
	running, waiting, neverRan, succeeded, failed := 0, 0, 0, 0, 0
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		cr, st, err := observe(c)
		if err != nil {
			return corev1.PodStatus{}, err
		}
		reason := "ContainerCreating"
		if !initDone {
			reason = "PodInitializing"
		}
		cs := containerStatus(c, cr, st, reason, prefix)
		switch {
		case cs.State.Running != nil:
			running++
		case cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0:
			succeeded++
		case cs.State.Terminated != nil:
			failed++
		default:
			waiting++
			if cs.LastTerminationState.Terminated == nil {
				neverRan++
			}
		}
		statuses = append(statuses, cs)
	}
	sort.Slice(statuses, func(i, j int) bool { return statuses[i].Name < statuses[j].Name })

	// Ephemeral containers, sorted by name: never ready, no started (no
	// probe runs them), waiting as the kubelet's default says until
	// created. They count for nothing in the phase.
	var ephemeral []corev1.ContainerStatus
	for i := range pod.Spec.EphemeralContainers {
		c := corev1.Container(pod.Spec.EphemeralContainers[i].EphemeralContainerCommon)
		cr, st, err := observe(&c)
		if err != nil {
			return corev1.PodStatus{}, err
		}
		reason := "ContainerCreating"
		if len(pod.Spec.InitContainers) > 0 {
			reason = "PodInitializing"
		}
		cs := containerStatus(&c, cr, st, reason, prefix)
		if st == nil && cr != nil && cr.last != nil && cr.waiting == nil {
			// Ran in a sandbox since replaced: it stays terminated.
			cs.State = corev1.ContainerState{Terminated: cr.last}
			cs.LastTerminationState = corev1.ContainerState{}
		}
		cs.Ready, cs.Started, cs.RestartCount = false, nil, 0
		ephemeral = append(ephemeral, cs)
	}
	sort.Slice(ephemeral, func(i, j int) bool { return ephemeral[i].Name < ephemeral[j].Name })

	phase := corev1.PodPending
	switch {
	case initFailed:
		phase = corev1.PodFailed
	case !initDone && terminating:
		phase = corev1.PodFailed
	case !initDone:
	case neverRan > 0 && !terminating:
	case running+waiting > 0 && !terminating:
		phase = corev1.PodRunning
	case failed > 0 || waiting > 0:
		phase = corev1.PodFailed
	default:
		phase = corev1.PodSucceeded
	}

	status := corev1.PodStatus{
		Phase: phase, HostIP: rec.node.ip.String(), HostIPs: []corev1.HostIP{{IP: rec.node.ip.String()}},
		StartTime: pod.Status.StartTime, QOSClass: pod.Status.QOSClass, NominatedNodeName: pod.Status.NominatedNodeName,
		InitContainerStatuses: initStatuses, ContainerStatuses: statuses, EphemeralContainerStatuses: ephemeral,
		Resize: pod.Status.Resize, ResourceClaimStatuses: pod.Status.ResourceClaimStatuses,
	}
	if status.StartTime == nil {
		status.StartTime = ptr.To(metav1.NewTime(rec.startedAt.Truncate(time.Second)))
	}
	if len(rec.ips) > 0 {
		status.PodIP = rec.ips[0]
		for _, ip := range rec.ips {
			status.PodIPs = append(status.PodIPs, corev1.PodIP{IP: ip})
		}
	}

	// Ready and started come from the probes (a real node's); then the
	// conditions follow from them.
	a.applyProbes(rec, pod, &status)
	if a.simulated(rec.node) {
		rec.readyRecheck = simReadiness(pod, &status, a.cfg.Clock.Now())
	}
	for i := range pod.Spec.Containers {
		for _, cs := range status.ContainerStatuses {
			if cs.Name == pod.Spec.Containers[i].Name && !cs.Ready {
				unready = append(unready, cs.Name)
			}
		}
	}

	// Conditions, in the order the kubelet writes them; others' kept.
	cond := func(t corev1.PodConditionType, ok bool, reason, msg string) corev1.PodCondition {
		c := corev1.PodCondition{Type: t, Status: corev1.ConditionFalse, LastTransitionTime: now, ObservedGeneration: pod.Generation}
		if ok {
			c.Status = corev1.ConditionTrue
		} else {
			c.Reason, c.Message = reason, msg
		}
		for _, old := range pod.Status.Conditions {
			if old.Type == t && old.Status == c.Status {
				c.LastTransitionTime, c.LastProbeTime = old.LastTransitionTime, old.LastProbeTime
			}
		}
		return c
	}
	notReadyReason, notReadyMsg := "ContainersNotReady", fmt.Sprintf("containers with unready status: [%s]", strings.Join(unready, " "))
	if phase == corev1.PodSucceeded || phase == corev1.PodFailed {
		notReadyReason, notReadyMsg = "PodCompleted", ""
	}
	containersReady := len(unready) == 0 && initDone && phase == corev1.PodRunning
	ready, gateReason, gateMsg := containersReady, notReadyReason, notReadyMsg
	if containersReady {
		for _, g := range pod.Spec.ReadinessGates {
			if !conditionTrue(pod.Status.Conditions, g.ConditionType) {
				ready, gateReason = false, "ReadinessGatesNotReady"
				gateMsg = fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist.", g.ConditionType)
			}
		}
	}
	status.Conditions = []corev1.PodCondition{
		cond(corev1.PodReadyToStartContainers, !terminating, "", ""),
		cond(corev1.PodInitialized, initDone, "ContainersNotInitialized",
			fmt.Sprintf("containers with incomplete status: [%s]", strings.Join(incomplete, " "))),
		cond(corev1.PodReady, ready, gateReason, gateMsg),
		cond(corev1.ContainersReady, containersReady, notReadyReason, notReadyMsg),
		cond(corev1.PodScheduled, true, "", ""),
	}
	for _, old := range pod.Status.Conditions {
		switch old.Type {
		case corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady, corev1.PodScheduled:
		default:
			status.Conditions = append(status.Conditions, old)
		}
	}
	resizeStatus(pod, rec, &status, a.cfg.Clock.Now())
	// The generation of the spec this status reflects, as the kubelet
	// reports it (PodObservedGenerationTracking).
	status.ObservedGeneration = pod.Generation
	return status, nil
}

func conditionTrue(conds []corev1.PodCondition, t corev1.PodConditionType) bool {
	for _, c := range conds {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// containerIDPrefix is "<runtime name>://", as the kubelet writes
// container IDs.
func (a *Agent) containerIDPrefix(rec *podRecord) string {
	name := rec.node.runtimeName
	if i := strings.Index(name, "://"); i >= 0 {
		name = name[:i]
	}
	return name + "://"
}

// containerStatus converts the runtime's view of one container. A nil st
// means not created yet (waiting with reason waitReason).
func containerStatus(c *corev1.Container, cr *containerRecord, st *runtimeapi.ContainerStatus, waitReason, prefix string) corev1.ContainerStatus {
	cs := corev1.ContainerStatus{Name: c.Name, Image: c.Image, Started: ptr.To(false)}
	if cr != nil {
		cs.RestartCount = cr.restarts
		if cr.last != nil {
			cs.LastTerminationState.Terminated = cr.last
		}
	}
	if st == nil {
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: waitReason}
		if cr != nil && cr.waiting != nil {
			cs.State.Waiting = cr.waiting.DeepCopy()
		}
		return cs
	}
	cs.ContainerID, cs.ImageID = prefix+st.Id, st.ImageRef
	switch st.State {
	case runtimeapi.ContainerState_CONTAINER_RUNNING:
		// Probes are simulated as passing: ready as soon as started.
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(time.Unix(0, st.StartedAt).Truncate(time.Second))}
		cs.Ready, cs.Started = true, ptr.To(true)
	case runtimeapi.ContainerState_CONTAINER_EXITED:
		term := terminatedState(c, st, prefix)
		if cr != nil && !cr.restartAt.IsZero() {
			cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
				Message: fmt.Sprintf("back-off restarting failed container %s in pod", c.Name)}
			cs.LastTerminationState.Terminated = term
			return cs
		}
		cs.State.Terminated = term
	default:
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
	}
	return cs
}

// terminatedState is how exited container c (status st) ended, with its
// termination message.
func terminatedState(c *corev1.Container, st *runtimeapi.ContainerStatus, prefix string) *corev1.ContainerStateTerminated {
	return &corev1.ContainerStateTerminated{
		ExitCode: st.ExitCode, Reason: st.Reason, ContainerID: prefix + st.Id, Message: terminationMessage(c, st),
		StartedAt:  metav1.NewTime(time.Unix(0, st.StartedAt).Truncate(time.Second)),
		FinishedAt: metav1.NewTime(time.Unix(0, st.FinishedAt).Truncate(time.Second)),
	}
}
