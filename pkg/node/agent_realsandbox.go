package node

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// checkSandbox replaces a real pod's sandbox that is no longer ready
// (its pause process died, the machine rebooted under a running
// containerd), as the kubelet does: "Pod sandbox changed, it will be
// killed and re-created." The old sandbox and its containers are
// removed; the containers' restart count goes up, and they are started
// again in the new sandbox if the restart policy lets them. Under
// restartPolicy Never a pod whose containers have run gets no new
// sandbox: its containers end (exited), and so does the pod.
func (a *Agent) checkSandbox(ctx context.Context, key cache.ObjectName, pod *corev1.Pod, rec *podRecord) (*podRecord, error) {
	st, err := rec.node.runtime.PodSandboxStatus(ctx, rec.sandboxID, false)
	if err != nil {
		return nil, fmt.Errorf("sandbox status: %w", err)
	}
	if st.GetStatus().GetState() == runtimeapi.PodSandboxState_SANDBOX_READY {
		return rec, nil
	}
	started := false
	for _, cr := range rec.containers {
		started = started || cr.id != "" || cr.restarts > 0
	}
	if pod.Spec.RestartPolicy == corev1.RestartPolicyNever && started {
		// Stop what still runs; the containers' exits decide the phase.
		if err := rec.node.runtime.StopPodSandbox(ctx, rec.sandboxID); err != nil {
			return nil, err
		}
		return rec, nil
	}
	a.log.Info("node: the pod's sandbox is not ready; making a new one", "pod", key, "sandbox", rec.sandboxID)
	a.podEvent(rec.node, pod, corev1.EventTypeNormal, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.")
	// How each container ended, for its lastState.
	last := map[string]*corev1.ContainerStateTerminated{}
	if err := rec.node.runtime.StopPodSandbox(ctx, rec.sandboxID); err != nil {
		return nil, err
	}
	for name, cr := range rec.containers {
		if cr.id == "" {
			continue
		}
		if resp, err := rec.node.runtime.ContainerStatus(ctx, cr.id, false); err == nil {
			last[name] = terminatedState(specOf(pod, name), resp.GetStatus(), a.containerIDPrefix(rec))
		}
	}
	if err := rec.node.runtime.RemovePodSandbox(ctx, rec.sandboxID); err != nil {
		return nil, err
	}
	fresh, err := a.runSandbox(ctx, rec.node, pod)
	if err != nil {
		// The old sandbox is gone: the next sync starts the pod afresh.
		a.setRecord(key, nil)
		return nil, err
	}
	fresh.volumes = rec.volumes
	for name, cr := range rec.containers {
		next := &containerRecord{restarts: cr.restarts, last: cr.last}
		if cr.id != "" {
			next.restarts++
			if l := last[name]; l != nil {
				next.last = l
			}
		}
		fresh.containers[name] = next
	}
	a.setRecord(key, fresh)
	return fresh, nil
}

// removeFailedSandboxes removes pod's sandboxes that are not ready after
// a RunPodSandbox failed. containerd 1.6 keeps a sandbox whose failed
// start it could not clean up (its network teardown failed too), in an
// unknown state and with the pod's sandbox name (name, namespace, UID,
// attempt) reserved: every retry would fail on the name until it is
// removed. The kubelet's next attempt gets rid of it the same way.
func (a *Agent) removeFailedSandboxes(ctx context.Context, ns *nodeState, pod *corev1.Pod) {
	lister, ok := ns.runtime.(sandboxLister)
	if !ok || ctx.Err() != nil {
		return
	}
	sandboxes, err := lister.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{
		LabelSelector: map[string]string{labelPodUID: string(pod.UID)},
	})
	if err != nil {
		a.log.Warn("node: listing the pod's sandboxes after a failed start", "pod", cacheKey(pod), "err", err)
		return
	}
	for _, s := range sandboxes {
		if s.State == runtimeapi.PodSandboxState_SANDBOX_READY {
			continue
		}
		err := ns.runtime.StopPodSandbox(ctx, s.Id)
		if err == nil {
			err = ns.runtime.RemovePodSandbox(ctx, s.Id)
		}
		if err != nil {
			a.log.Warn("node: removing a sandbox that failed to start", "pod", cacheKey(pod), "sandbox", s.Id, "err", err)
			continue
		}
		a.log.Info("node: removed a sandbox that failed to start", "pod", cacheKey(pod), "sandbox", s.Id)
	}
}
