package node

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// The kubelet's activeDeadlineSeconds: a pod active on its node longer
// than spec.activeDeadlineSeconds (counted from status.startTime) is
// failed, with this reason and message, and its containers are killed.
// Simulated and real nodes share this one decision.
const (
	ReasonDeadlineExceeded  = "DeadlineExceeded"
	MessageDeadlineExceeded = "Pod was active on the node longer than the specified deadline"
)

// activeDeadlineLeft is how long pod may still run before its
// activeDeadlineSeconds runs out, counted from its start time (the
// stored status.startTime, else when its sandbox started). ok is false
// when the pod has no deadline; left <= 0 once it has passed.
func activeDeadlineLeft(pod *corev1.Pod, sandboxStarted, now time.Time) (left time.Duration, ok bool) {
	ads := pod.Spec.ActiveDeadlineSeconds
	if ads == nil {
		return 0, false
	}
	start := sandboxStarted
	if st := pod.Status.StartTime; st != nil {
		start = st.Time
	}
	if start.IsZero() {
		return 0, false
	}
	return start.Add(time.Duration(*ads) * time.Second).Sub(now), true
}

// failDeadline kills the containers of a pod past its active deadline
// and writes its status Failed with reason DeadlineExceeded, as the
// kubelet's activeDeadlineHandler does (with a Normal event of that
// reason). A real pod's containers are stopped in the background with
// its grace period; the pod is synced again once they have.
func (a *Agent) failDeadline(ctx context.Context, key cache.ObjectName, pod *corev1.Pod, rec *podRecord) (time.Duration, error) {
	if rec.node.machine != nil {
		if !rec.stopping {
			a.podEvent(rec.node, pod, corev1.EventTypeNormal, ReasonDeadlineExceeded, MessageDeadlineExceeded)
		}
		if !a.stopReal(ctx, key, pod, rec) {
			return 0, nil // re-added once the containers have stopped
		}
	} else {
		a.podEvent(rec.node, pod, corev1.EventTypeNormal, ReasonDeadlineExceeded, MessageDeadlineExceeded)
		if rec.node.probes != nil {
			if err := a.killPod(ctx, pod, rec); err != nil {
				return 0, err
			}
		}
		if err := rec.node.runtime.StopPodSandbox(ctx, rec.sandboxID); err != nil {
			return 0, err
		}
	}
	status, err := a.podStatus(ctx, pod, rec, true)
	if err != nil {
		return 0, err
	}
	status.Phase, status.Reason, status.Message = corev1.PodFailed, ReasonDeadlineExceeded, MessageDeadlineExceeded
	// Written here, not through the status manager: the next sync sees
	// the pod Failed and tears it down.
	a.status.forget(key)
	p := pod.DeepCopy()
	p.Status = status
	if _, err := a.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return 0, err
	}
	return 0, nil
}
