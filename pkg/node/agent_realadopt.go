package node

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// A real node's pods outlive the agent: containerd keeps running them
// when `tinykube node` (or `server --node`) stops. On its next run the
// agent adopts them — the pod's ready sandbox and the newest attempt of
// each container — instead of starting them again, and removes the
// sandboxes of pods that are gone (removeOrphans), as the kubelet's
// pod workers and garbage collector do.

// sandboxLister is the part of the CRI a real runtime has for adoption.
type sandboxLister interface {
	ListPodSandbox(ctx context.Context, filter *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error)
}

// adopt returns the record of pod's running sandbox from an earlier run
// of the agent, or nil if it has none.
func (a *Agent) adopt(ctx context.Context, ns *nodeState, pod *corev1.Pod) (*podRecord, error) {
	lister, ok := ns.runtime.(sandboxLister)
	if !ok {
		return nil, nil
	}
	sandboxes, err := lister.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{
		State:         &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY},
		LabelSelector: map[string]string{labelPodUID: string(pod.UID)},
	})
	if err != nil {
		return nil, fmt.Errorf("looking for the pod's sandbox: %w", err)
	}
	var newest *runtimeapi.PodSandbox
	for _, s := range sandboxes {
		if newest == nil || s.CreatedAt > newest.CreatedAt {
			newest = s
		}
	}
	if newest == nil {
		return nil, nil
	}
	cfg, err := a.sandboxConfig(ns, pod)
	if err != nil {
		return nil, err
	}
	rec, err := a.sandboxRecord(ctx, ns, pod, cfg, newest.Id)
	if err != nil {
		return nil, err
	}
	containers, err := ns.runtime.ListContainers(ctx, &runtimeapi.ContainerFilter{PodSandboxId: newest.Id})
	if err != nil {
		return nil, fmt.Errorf("listing the pod's containers: %w", err)
	}
	for _, c := range containers {
		name := c.GetMetadata().GetName()
		attempt := int32(c.GetMetadata().GetAttempt())
		if cr := rec.containers[name]; cr == nil || attempt >= cr.restarts {
			rec.containers[name] = &containerRecord{id: c.Id, restarts: attempt}
		}
	}
	a.setRecord(cacheKey(pod), rec)
	a.log.Info("node: adopted a running pod", "pod", cacheKey(pod), "sandbox", newest.Id, "containers", len(rec.containers))
	return rec, nil
}

// removeOrphans removes the sandboxes of pods this node no longer has
// (deleted while the agent was down), and sandboxes that are no longer
// ready (a fresh one is made for their pod). It runs once the pod cache
// has synced.
func (a *Agent) removeOrphans(ctx context.Context, ns *nodeState) {
	lister, ok := ns.runtime.(sandboxLister)
	if !ok {
		return
	}
	sandboxes, err := lister.ListPodSandbox(ctx, nil)
	if err != nil {
		a.log.Warn("node: listing sandboxes for orphans", "node", ns.name, "err", err)
		return
	}
	pods, err := a.pods.List(everything)
	if err != nil {
		return
	}
	live := map[string]bool{}
	for _, p := range pods {
		if p.Spec.NodeName == ns.name && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			live[string(p.UID)] = true
		}
	}
	for _, s := range sandboxes {
		if live[s.Labels[labelPodUID]] && s.State == runtimeapi.PodSandboxState_SANDBOX_READY {
			continue
		}
		a.log.Info("node: removing the sandbox of a pod that is gone", "node", ns.name,
			"pod", s.GetMetadata().GetNamespace()+"/"+s.GetMetadata().GetName(), "sandbox", s.Id)
		if err := ns.runtime.StopPodSandbox(ctx, s.Id); err == nil {
			_ = ns.runtime.RemovePodSandbox(ctx, s.Id)
		}
	}
}
