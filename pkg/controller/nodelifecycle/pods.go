package nodelifecycle

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// syncPod marks a pod on an unhealthy node not Ready, and deletes it
// when the node's NoExecute taints say so. It returns the delay until
// its tolerations run out.
func (c *Controller) syncPod(ctx context.Context, key cache.ObjectName) (time.Duration, error) {
	pod, err := c.pods.Pods(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if pod.Spec.NodeName == "" || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return 0, nil
	}
	node, err := c.nodes.Get(pod.Spec.NodeName)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	now := c.cfg.Clock.Now()
	if readyStatus(node) != corev1.ConditionTrue {
		if err := c.markNotReady(ctx, pod, now); err != nil {
			return 0, err
		}
	}
	if pod.DeletionTimestamp != nil {
		return 0, nil
	}
	at, evict := evictionTime(pod, noExecuteTaints(node), now)
	if !evict {
		return 0, nil
	}
	if now.Before(at) {
		return at.Sub(now), nil
	}
	err = c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: metav1.NewUIDPreconditions(string(pod.UID))})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return 0, fmt.Errorf("evicting pod %s: %w", key, err)
	}
	return 0, nil
}

// evictionTime says whether and when a pod must leave a node with these
// NoExecute taints: at once for a taint it does not tolerate, else when
// the shortest tolerationSeconds among the matching tolerations has
// passed since its taint was added; never if every taint is tolerated
// without a limit.
func evictionTime(pod *corev1.Pod, taints []corev1.Taint, now time.Time) (time.Time, bool) {
	var at time.Time
	evict := false
	for i := range taints {
		taint := &taints[i]
		added := now
		if taint.TimeAdded != nil {
			added = taint.TimeAdded.Time
		}
		tolerated := false
		var limit *int64
		for j := range pod.Spec.Tolerations {
			tol := &pod.Spec.Tolerations[j]
			if !tol.ToleratesTaint(klog.Background(), taint, false) {
				continue
			}
			if !tolerated || (tol.TolerationSeconds != nil && (limit == nil || *tol.TolerationSeconds < *limit)) {
				limit = tol.TolerationSeconds
			}
			tolerated = true
		}
		var t time.Time
		switch {
		case !tolerated:
			t = now
		case limit == nil:
			continue
		default:
			t = added.Add(time.Duration(max(*limit, 0)) * time.Second)
		}
		if !evict || t.Before(at) {
			at, evict = t, true
		}
	}
	return at, evict
}

// markNotReady sets the pod's Ready condition False, as upstream does for
// pods on a node that stopped reporting.
func (c *Controller) markNotReady(ctx context.Context, pod *corev1.Pod, now time.Time) error {
	for i, cond := range pod.Status.Conditions {
		if cond.Type != corev1.PodReady || cond.Status == corev1.ConditionFalse {
			continue
		}
		p := pod.DeepCopy()
		p.Status.Conditions[i].Status = corev1.ConditionFalse
		p.Status.Conditions[i].LastTransitionTime = metav1.NewTime(now)
		if _, err := c.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("marking pod %s/%s not ready: %w", p.Namespace, p.Name, err)
		}
		return nil
	}
	return nil
}
