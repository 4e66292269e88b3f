package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// A real node's pods outlive the agent: containerd keeps running them
// when `tinykube node` (or `server --node`) stops. On its next run the
// agent adopts them — the pod's ready sandbox and the newest attempt of
// each container — instead of starting them again; a finished pod that
// still exists has its newest sandbox (ready or not) and exited
// containers adopted, so that its logs stay and its deletion removes
// them. The sandboxes and log directories of pods that are gone are
// removed (removeOrphans), as the kubelet's pod workers and garbage
// collector do.

// sandboxLister is the part of the CRI a real runtime has for adoption.
type sandboxLister interface {
	ListPodSandbox(ctx context.Context, filter *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error)
}

// adopt returns the record of pod's running sandbox from an earlier run
// of the agent (for a finished pod: its newest sandbox, stopped or not),
// or nil if it has none.
func (a *Agent) adopt(ctx context.Context, ns *nodeState, pod *corev1.Pod) (*podRecord, error) {
	lister, ok := ns.runtime.(sandboxLister)
	if !ok {
		return nil, nil
	}
	filter := &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{labelPodUID: string(pod.UID)}}
	if !podFinished(pod) {
		filter.State = &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY}
	}
	sandboxes, err := lister.ListPodSandbox(ctx, filter)
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
			rec.containers[name] = &containerRecord{id: c.Id, restarts: attempt, last: storedLastState(pod, name, attempt)}
		}
	}
	a.setRecord(cacheKey(pod), rec)
	a.log.Info("node: adopted a pod from an earlier run", "pod", cacheKey(pod), "sandbox", newest.Id,
		"state", newest.State, "containers", len(rec.containers))
	return rec, nil
}

// podFinished reports whether pod is in a terminal phase.
func podFinished(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

// storedLastState is how the previous instance of the pod's container
// name ended, as its stored status says, when that status is of the
// same attempt: the runtime no longer has that instance, so an adopted
// record takes its lastState from there.
func storedLastState(pod *corev1.Pod, name string, attempt int32) *corev1.ContainerStateTerminated {
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for _, cs := range list {
			if cs.Name == name && cs.RestartCount == attempt && cs.LastTerminationState.Terminated != nil {
				return cs.LastTerminationState.Terminated.DeepCopy()
			}
		}
	}
	return nil
}

// removeOrphans removes the sandboxes of pods this node no longer has
// (deleted while the agent was down), with their containers, log
// directories and cgroups; the sandboxes of running pods that are no
// longer ready (a fresh one is made for their pod); and all but the
// newest sandbox of a finished pod (whose exited containers and logs
// stay until it is deleted). It runs once the pod cache has synced,
// before any pod is synced.
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
	mine := map[string]*corev1.Pod{}
	for _, p := range pods {
		if p.Spec.NodeName == ns.name {
			mine[string(p.UID)] = p
		}
	}
	// The newest sandbox of each finished pod is kept.
	keep := map[string]*runtimeapi.PodSandbox{}
	for _, s := range sandboxes {
		uid := s.Labels[labelPodUID]
		if p := mine[uid]; p != nil && podFinished(p) && (keep[uid] == nil || s.CreatedAt > keep[uid].CreatedAt) {
			keep[uid] = s
		}
	}
	for _, s := range sandboxes {
		uid := s.Labels[labelPodUID]
		p := mine[uid]
		switch {
		case p != nil && podFinished(p) && keep[uid] == s:
			continue
		case p != nil && !podFinished(p) && s.State == runtimeapi.PodSandboxState_SANDBOX_READY:
			continue
		}
		a.log.Info("node: removing a sandbox no pod needs", "node", ns.name,
			"pod", s.GetMetadata().GetNamespace()+"/"+s.GetMetadata().GetName(), "sandbox", s.Id)
		if err := ns.runtime.StopPodSandbox(ctx, s.Id); err == nil {
			_ = ns.runtime.RemovePodSandbox(ctx, s.Id)
		}
		if p == nil && uid != "" {
			RemoveCgroups(a.cgroupParent(uid))
		}
	}
	a.removeOrphanLogs(func(uid string) bool { return mine[uid] != nil })
}

// removeOrphanLogs removes the log directories (pods/<namespace>_<name>_<uid>)
// of the pods for which exists is false, and their cgroups. (The volume
// directories, pods/<uid>, have no "_".)
func (a *Agent) removeOrphanLogs(exists func(uid string) bool) {
	dir := filepath.Join(a.cfg.Real.DataDir, "pods")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		i := strings.LastIndex(e.Name(), "_")
		if !e.IsDir() || i < 0 || strings.Count(e.Name(), "_") != 2 || exists(e.Name()[i+1:]) {
			continue
		}
		a.log.Info("node: removing the logs of a pod that is gone", "dir", e.Name())
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			a.log.Warn("node: removing a pod's logs", "dir", e.Name(), "err", err)
		}
		RemoveCgroups(a.cgroupParent(e.Name()[i+1:]))
	}
}
