package node

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
)

// A real pod that has finished (phase Succeeded or Failed) but is not
// deleted is kept as the kubelet keeps it: what still runs is stopped
// (a sidecar, an ephemeral container, a container of a pod failed from
// outside), then the sandbox, which tears down its network and frees
// its IP (no longer reported in status.podIPs); its volumes are torn
// down and its cgroup removed. A pod whose containers have finished
// while a sidecar still runs is reported finished only once that is
// stopped, as the kubelet never reports a terminal phase while a
// container could run (status manager, mergePodStatus). Its exited
// containers and their logs stay, so that `kubectl logs` (and
// `--previous`) of a completed Job's pod keeps working and its
// containerStatuses keep their terminated states, until the pod is
// deleted from the API: then teardown removes the sandbox, its
// containers and the log directory (the kubelet's container GC removes
// the containers of a pod once its content may be removed, pod_workers'
// ShouldPodContentBeRemoved). Dead instances beyond the last one of
// each container are never kept: a restart removes the exited instance
// (its log stays for --previous) and older logs (pruneLogs), as the
// kubelet's MaxPerPodContainer=1.

// finishReal stops what still runs of a real pod in a terminal phase,
// once, then reports its final status (reportFinished).
func (a *Agent) finishReal(ctx context.Context, key cache.ObjectName, pod *corev1.Pod, rec *podRecord) (time.Duration, error) {
	if rec.finished {
		a.reportFinished(ctx, key, pod, rec)
		return 0, nil
	}
	a.forgetProbes(rec)
	for _, cr := range rec.containers {
		cr.restartAt = time.Time{} // nothing restarts any more
	}
	if !a.stopReal(ctx, key, pod, rec) {
		return 0, nil // re-added once the containers have stopped
	}
	// Reported before the volumes go: the termination message files
	// are in the pod's directory.
	a.reportFinished(ctx, key, pod, rec)
	a.teardownVolumes(rec.node, rec.uid)
	RemoveCgroups(rec.sandbox.GetLinux().GetCgroupParent())
	rec.finished = true
	a.log.Info("node: the pod has finished; its containers and logs stay until it is deleted", "pod", key, "phase", pod.Status.Phase)
	return 0, nil
}

// reportFinished hands the status manager a finished pod's status: the
// containers' states as the runtime has them, the phase (with its
// reason and message) left as stored (a terminal phase is final) or as
// decided (finalPhase), no IP, Initialized kept, and termination
// messages kept once read (their files are gone with the volumes).
func (a *Agent) reportFinished(ctx context.Context, key cache.ObjectName, pod *corev1.Pod, rec *podRecord) {
	status, err := a.podStatus(ctx, pod, rec, true)
	if err != nil {
		// A kept container the runtime lost: the stored status stays.
		a.log.Info("node: the status of a finished pod", "pod", key, "err", err)
		return
	}
	status.Phase, status.Reason, status.Message = pod.Status.Phase, pod.Status.Reason, pod.Status.Message // e.g. DeadlineExceeded
	if !podFinished(pod) {
		status.Phase = rec.finalPhase // decided before the rest was stopped
	}
	if !pod.Spec.HostNetwork {
		// The stopped sandbox's IP is free for another pod; the kubelet
		// reports none for it (a sandbox that is not ready has no IPs).
		status.PodIP, status.PodIPs = "", nil
	}
	if conditionTrue(pod.Status.Conditions, corev1.PodInitialized) {
		// Initialized stays so once a pod has been (a sidecar stopped
		// now does not undo it), as the kubelet keeps it.
		for i := range status.Conditions {
			if status.Conditions[i].Type == corev1.PodInitialized {
				for _, old := range pod.Status.Conditions {
					if old.Type == corev1.PodInitialized {
						status.Conditions[i] = old
					}
				}
			}
		}
	}
	if rec.messages == nil {
		rec.messages = map[string]string{}
	}
	for _, stored := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses, pod.Status.EphemeralContainerStatuses} {
		for _, cs := range stored {
			if t := cs.State.Terminated; t != nil && t.Message != "" && rec.messages[t.ContainerID] == "" {
				rec.messages[t.ContainerID] = t.Message
			}
		}
	}
	for _, list := range [][]corev1.ContainerStatus{status.InitContainerStatuses, status.ContainerStatuses, status.EphemeralContainerStatuses} {
		for i := range list {
			t := list[i].State.Terminated
			switch {
			case t == nil:
			case t.Message != "":
				rec.messages[t.ContainerID] = t.Message
			default:
				t.Message = rec.messages[t.ContainerID]
			}
		}
	}
	a.status.set(pod, status)
}

// pruneLogs removes the log files (<attempt>.log) of a container's
// attempts before keep from its log directory dir.
func pruneLogs(dir string, keep int32) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n, err := strconv.ParseInt(strings.TrimSuffix(e.Name(), ".log"), 10, 32)
		if err != nil || !strings.HasSuffix(e.Name(), ".log") || int32(n) >= keep {
			continue
		}
		_ = os.Remove(filepath.Join(dir, e.Name()))
	}
}
