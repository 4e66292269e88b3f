package node

import (
	"hash/fnv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Job pods on simulated nodes follow kwok's pod-complete stage (the
// stages upstream's conformance list was made with): a running pod owned
// by a Job, with restartPolicy Never or OnFailure, completes — every
// container terminated with exit code 0 and reason Completed, phase
// Succeeded — whatever its command says. kwok waits 1s plus a jitter of
// up to 5s in all; here the wait is Config.JobCompleteDelay plus up to
// Config.JobCompleteJitter (1s to 5s by default; --simulated-job-delay,
// --simulated-job-jitter) after the container starts, chosen from the
// pod's UID so that it is stable across agent restarts.
//
// A pod that sets sim.tinykube.io/exit-after itself keeps that behaviour
// (the annotations are an override). A real runtime ignores all of this.
// jobCompleteAnnotations returns the container annotations that make a
// simulated container of pod run then complete as kwok's pod-complete
// stage does, or nil when the stage does not apply to pod.
func (a *Agent) jobCompleteAnnotations(pod *corev1.Pod) map[string]string {
	if pod.Spec.RestartPolicy == corev1.RestartPolicyAlways || !ownedByJob(pod) {
		return nil
	}
	if _, ok := pod.Annotations[AnnotationExitAfter]; ok {
		return nil
	}
	after := jobCompleteAfter(pod, a.cfg.JobCompleteDelay, a.cfg.JobCompleteJitter)
	return map[string]string{AnnotationExitAfter: after.String(), AnnotationExitCode: "0"}
}

func ownedByJob(pod *corev1.Pod) bool {
	for _, ref := range pod.OwnerReferences {
		if ref.Kind == "Job" {
			return true
		}
	}
	return false
}

// jobCompleteAfter is the pod's run time: delay plus a jitter in [0,
// jitter) taken from a hash of its UID (or name).
func jobCompleteAfter(pod *corev1.Pod, delay, jitter time.Duration) time.Duration {
	h := fnv.New64a()
	key := string(pod.UID)
	if key == "" {
		key = pod.Namespace + "/" + pod.Name
	}
	_, _ = h.Write([]byte(key))
	if ms := uint64(jitter / time.Millisecond); ms > 0 {
		return delay + time.Duration(h.Sum64()%ms)*time.Millisecond
	}
	return delay
}
