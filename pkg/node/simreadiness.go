package node

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// simReadiness applies the readiness annotations of a pod on a simulated
// node (runtime.go, docs/simulated-nodes.md) to status: with
// sim.tinykube.io/ready "false" no running container is ready; with
// sim.tinykube.io/ready-after a running container is ready only that
// long after it started. It returns how long until the next container
// becomes ready (0: none will by itself). A value that does not parse
// is ignored, as every simulated annotation is.
func simReadiness(pod *corev1.Pod, status *corev1.PodStatus, now time.Time) time.Duration {
	never := pod.Annotations[AnnotationReady] == "false"
	after, err := time.ParseDuration(pod.Annotations[AnnotationReadyAfter])
	delayed := err == nil && after > 0
	if !never && !delayed {
		return 0
	}
	var recheck time.Duration
	for i := range status.ContainerStatuses {
		cs := &status.ContainerStatuses[i]
		if cs.State.Running == nil || !cs.Ready {
			continue
		}
		if never {
			cs.Ready = false
			continue
		}
		// StartedAt has whole seconds; a container is never ready
		// before its time.
		left := cs.State.Running.StartedAt.Add(after).Sub(now)
		if left > 0 {
			cs.Ready = false
			if recheck == 0 || left < recheck {
				recheck = left
			}
		}
	}
	return recheck
}
