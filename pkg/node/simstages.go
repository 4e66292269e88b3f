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
// up to 5s in all; here the wait is 1s to 5s after the container starts,
// chosen from the pod's UID so that it is stable across agent restarts.
//
// A pod that sets sim.tinykube.io/exit-after itself keeps that behaviour
// (the annotations are an override). A real runtime ignores all of this.
const (
	jobCompleteDelay  = time.Second
	jobCompleteJitter = 4 * time.Second
)

// jobCompleteAnnotations returns the container annotations that make a
// simulated container of pod run then complete as kwok's pod-complete
// stage does, or nil when the stage does not apply to pod.
func jobCompleteAnnotations(pod *corev1.Pod) map[string]string {
	if pod.Spec.RestartPolicy == corev1.RestartPolicyAlways || !ownedByJob(pod) {
		return nil
	}
	if _, ok := pod.Annotations[AnnotationExitAfter]; ok {
		return nil
	}
	return map[string]string{AnnotationExitAfter: jobCompleteAfter(pod).String(), AnnotationExitCode: "0"}
}

func ownedByJob(pod *corev1.Pod) bool {
	for _, ref := range pod.OwnerReferences {
		if ref.Kind == "Job" {
			return true
		}
	}
	return false
}

// jobCompleteAfter is the pod's run time: jobCompleteDelay plus a jitter
// in [0, jobCompleteJitter) taken from a hash of its UID (or name).
func jobCompleteAfter(pod *corev1.Pod) time.Duration {
	h := fnv.New64a()
	key := string(pod.UID)
	if key == "" {
		key = pod.Namespace + "/" + pod.Name
	}
	_, _ = h.Write([]byte(key))
	jitter := time.Duration(h.Sum64()%uint64(jobCompleteJitter/time.Millisecond)) * time.Millisecond
	return jobCompleteDelay + jitter
}
