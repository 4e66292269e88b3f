package job

import (
	"context"
	"fmt"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// removeFinalizerPatch drops the tracking finalizer and nothing else.
var removeFinalizerPatch = fmt.Appendf(nil, `{"metadata":{"$deleteFromPrimitiveList/finalizers":[%q]}}`, batchv1.JobTrackingFinalizer)

func hasFinalizer(p *corev1.Pod) bool {
	return slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer)
}

// finished reports a pod that will not run again: it succeeded, failed,
// or is being deleted without ever reaching a node (no kubelet will
// report on it).
func finished(p *corev1.Pod) (done, succeeded bool) {
	switch {
	case p.Status.Phase == corev1.PodSucceeded:
		return true, true
	case p.Status.Phase == corev1.PodFailed:
		return true, false
	case p.DeletionTimestamp != nil && p.Spec.NodeName == "":
		return true, false
	}
	return false, false
}

// removeFinalizers patches the tracking finalizer off pods.
func (c *Controller) removeFinalizers(ctx context.Context, pods []*corev1.Pod) error {
	for _, p := range pods {
		if !hasFinalizer(p) {
			continue
		}
		_, err := c.client.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.StrategicMergePatchType, removeFinalizerPatch, metav1.PatchOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("removing tracking finalizer from %s/%s: %w", p.Namespace, p.Name, err)
		}
	}
	return nil
}

// releaseDeleted removes the tracking finalizer from the pods of a Job
// that no longer exists, so they can go away.
func (c *Controller) releaseDeleted(ctx context.Context, key cache.ObjectName) error {
	pods, err := c.pods.Pods(key.Namespace).List(everything)
	if err != nil {
		return err
	}
	var orphans []*corev1.Pod
	for _, p := range pods {
		if k, ok := ownerKey(p); ok && k == key && hasFinalizer(p) {
			orphans = append(orphans, p)
		}
	}
	return c.removeFinalizers(ctx, orphans)
}

// track does the counting protocol described in doc.go for one sync and
// returns the Job as last written. Pods whose uid it records are listed
// in uncounted. Recording is also when a pod's outcome enters the
// failure backoff: it must be on the sync that first sees the pod
// finished, not later when the counted pod's finalizer removal reaches
// the cache — by then its replacement would be created without a delay.
func (c *Controller) track(ctx context.Context, job *batchv1.Job, pods []*corev1.Pod) (*batchv1.Job, error) {
	st := &job.Status
	if st.UncountedTerminatedPods == nil {
		st.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{}
	}
	u := st.UncountedTerminatedPods
	recorded := map[types.UID]bool{}
	for _, uid := range u.Succeeded {
		recorded[uid] = true
	}
	for _, uid := range u.Failed {
		recorded[uid] = true
	}
	perIndex := hasBackoffLimitPerIndex(job)
	if perIndex && st.FailedIndexes == nil {
		st.FailedIndexes = new("") // written with the next status update
	}
	// 1. Record newly finished pods that still carry the finalizer. A
	// failure the pod failure policy ignores is not recorded (nor
	// counted); its finalizer just comes off.
	var newSucceeded, newFailed int
	ignored := map[types.UID]bool{}
	for _, p := range pods {
		done, ok := finished(p)
		if !done || !hasFinalizer(p) || recorded[p.UID] {
			continue
		}
		i, validIndex := podIndex(p, job)
		if ok {
			recorded[p.UID] = true
			newSucceeded++
			u.Succeeded = append(u.Succeeded, p.UID)
			if isIndexed(job) && validIndex {
				st.CompletedIndexes = addIndex(st.CompletedIndexes, i)
			}
			continue
		}
		v := matchPodFailurePolicy(job, p)
		if !v.counts() {
			ignored[p.UID] = true
			continue
		}
		recorded[p.UID] = true
		newFailed++
		u.Failed = append(u.Failed, p.UID)
		if v.failJob != "" && findTrue(st, batchv1.JobFailureTarget) == nil && findTrue(st, batchv1.JobSuccessCriteriaMet) == nil {
			// Written before the finalizer comes off, as upstream, so
			// that the reason survives a crash.
			setCondition(st, batchv1.JobFailureTarget, batchv1.JobReasonPodFailurePolicy, v.failJob, c.cfg.Clock.Now())
		}
		if perIndex && validIndex && failsIndex(job, p, v) {
			st.FailedIndexes = new(addIndex(*st.FailedIndexes, i))
		}
	}
	if newSucceeded+newFailed > 0 {
		updated, err := c.updateStatus(ctx, job)
		if err != nil {
			return nil, fmt.Errorf("recording finished pods of job %s/%s: %w", job.Namespace, job.Name, err)
		}
		c.noteFailures(job, newSucceeded, newFailed, c.cfg.Clock.Now())
		job = updated
		st, u = &job.Status, job.Status.UncountedTerminatedPods
	}
	// 2. Remove the finalizer from recorded pods, except, while the Job
	// runs, from each index's last failed pod awaiting its replacement
	// (see backoffperindex.go).
	var awaiting map[int]*corev1.Pod
	if findTrue(st, batchv1.JobFailureTarget) == nil && findTrue(st, batchv1.JobSuccessCriteriaMet) == nil {
		awaiting = lastFailedPerIndex(job, pods)
	}
	keep := map[types.UID]bool{}
	for _, p := range awaiting {
		keep[p.UID] = true
	}
	byUID := map[types.UID]*corev1.Pod{}
	var release []*corev1.Pod
	for _, p := range pods {
		byUID[p.UID] = p
		if (recorded[p.UID] || ignored[p.UID]) && hasFinalizer(p) && !keep[p.UID] {
			release = append(release, p)
		}
	}
	if err := c.removeFinalizers(ctx, release); err != nil {
		return nil, err
	}
	// 3. Count recorded pods the cache shows released or gone; the rest
	// are counted on the sync their update event triggers.
	counted := func(uid types.UID) bool {
		p, ok := byUID[uid]
		return !ok || !hasFinalizer(p)
	}
	var succeeded, failed int
	u.Succeeded = slices.DeleteFunc(u.Succeeded, func(uid types.UID) bool {
		if counted(uid) {
			succeeded++
			return true
		}
		return false
	})
	u.Failed = slices.DeleteFunc(u.Failed, func(uid types.UID) bool {
		if counted(uid) {
			failed++
			return true
		}
		return false
	})
	st.Succeeded += int32(succeeded)
	st.Failed += int32(failed)
	return job, nil
}
