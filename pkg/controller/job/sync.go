package job

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/tinykube/tinykube/pkg/controller/claim"
	"github.com/tinykube/tinykube/pkg/controller/podcontrol"
)

var everything = labels.Everything()

// sync reconciles one Job.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	cached, err := c.jobs.Jobs(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		c.expect.Forget(key.String())
		c.forgetWritten(key)
		return c.releaseDeleted(ctx, key)
	}
	if err != nil {
		return err
	}
	if c.behindOwnWrite(cached) {
		return nil // see consistency.go
	}
	// Before listing pods: a creation seen after the list would satisfy
	// the expectation while missing from the list, and be made twice.
	satisfied := c.expect.Satisfied(key.String())
	pods, err := c.podsOf(ctx, cached)
	if err != nil {
		return err
	}
	if isFinished(cached) || cached.DeletionTimestamp != nil {
		c.forgetBackoff(cached)
		c.forgetWritten(key)
		return c.removeFinalizers(ctx, pods)
	}
	job, err := c.track(ctx, cached.DeepCopy(), pods)
	if err != nil {
		return err
	}
	old := cached.Status.DeepCopy()
	if job.ResourceVersion != cached.ResourceVersion {
		old = job.Status.DeepCopy() // track wrote status already
	}
	now := c.cfg.Clock.Now()

	var active, terminating []*corev1.Pod
	var ready, restarts int32
	for _, p := range pods {
		if done, _ := finished(p); done {
			continue
		}
		if p.DeletionTimestamp != nil {
			terminating = append(terminating, p)
			continue
		}
		active = append(active, p)
		if podcontrol.IsReady(p) {
			ready++
		}
		for _, cs := range p.Status.ContainerStatuses {
			restarts += cs.RestartCount
		}
	}
	st := &job.Status
	u := st.UncountedTerminatedPods
	succeeded := st.Succeeded + int32(len(u.Succeeded))
	failed := st.Failed + int32(len(u.Failed))
	if job.Spec.Template.Spec.RestartPolicy == corev1.RestartPolicyOnFailure {
		failed += restarts // container restarts count as failures, as upstream
	}

	suspended := job.Spec.Suspend != nil && *job.Spec.Suspend
	if suspended {
		setCondition(st, batchv1.JobSuspended, "JobSuspended", "Job suspended", now)
	} else {
		if cond := findCondition(st, batchv1.JobSuspended); cond != nil && cond.Status == corev1.ConditionTrue {
			setConditionStatus(st, batchv1.JobSuspended, corev1.ConditionFalse, "JobResumed", "Job resumed", now)
			st.StartTime = nil // the deadline counts from resumption
		}
		if st.StartTime == nil {
			st.StartTime = &metav1.Time{Time: now}
		}
	}

	// Decide whether the Job has met its success or failure criteria.
	if findTrue(st, batchv1.JobSuccessCriteriaMet) == nil && findTrue(st, batchv1.JobFailureTarget) == nil {
		policyMsg, policyMet := matchSuccessPolicy(job)
		indexReason, indexMsg := perIndexFailure(job)
		switch {
		case job.Spec.BackoffLimit != nil && failed > *job.Spec.BackoffLimit:
			setCondition(st, batchv1.JobFailureTarget, batchv1.JobReasonBackoffLimitExceeded, "Job has reached the specified backoff limit", now)
		case pastDeadline(job, now):
			setCondition(st, batchv1.JobFailureTarget, batchv1.JobReasonDeadlineExceeded, "Job was active longer than specified deadline", now)
		case indexReason != "":
			setCondition(st, batchv1.JobFailureTarget, indexReason, indexMsg, now)
		case policyMet:
			setCondition(st, batchv1.JobSuccessCriteriaMet, batchv1.JobReasonSuccessPolicy, policyMsg, now)
		case succeededEnough(job, succeeded, len(active)):
			setCondition(st, batchv1.JobSuccessCriteriaMet, batchv1.JobReasonCompletionsReached, "Reached expected number of succeeded pods", now)
		}
	}
	ending := findTrue(st, batchv1.JobSuccessCriteriaMet) != nil || findTrue(st, batchv1.JobFailureTarget) != nil

	var manageErr error
	delta := 0
	switch {
	case ending || suspended:
		// Stop everything still running; the final condition waits until
		// no pod is left running or terminating.
		manageErr = c.deletePods(ctx, job, active)
		terminating, active, ready = append(terminating, active...), nil, 0
		// It also waits until every finished pod is counted.
		if manageErr == nil && ending && len(terminating) == 0 && len(u.Succeeded)+len(u.Failed) == 0 {
			c.finish(st, now)
		}
	case !satisfied:
		// Our last creations/deletions are not in the cache yet.
	default:
		delta, manageErr = c.managePods(ctx, job, key, active, succeeded, lastFailedPerIndex(job, pods))
	}
	st.Active = int32(len(active) + delta)
	st.Ready = &ready
	nTerminating := int32(len(terminating))
	st.Terminating = &nTerminating

	if !apiequality.Semantic.DeepEqual(old, &job.Status) {
		if _, err := c.updateStatus(ctx, job); err != nil {
			return fmt.Errorf("updating status of job %s/%s: %w", job.Namespace, job.Name, err)
		}
	}
	if manageErr != nil {
		return manageErr
	}
	if ads := job.Spec.ActiveDeadlineSeconds; ads != nil && st.StartTime != nil && !isFinished(job) && !suspended {
		c.queue.AddAfter(key, st.StartTime.Add(time.Duration(*ads)*time.Second).Sub(now))
	}
	return nil
}

// finish turns the target condition into the final one.
func (c *Controller) finish(st *batchv1.JobStatus, now time.Time) {
	if cond := findTrue(st, batchv1.JobFailureTarget); cond != nil {
		setCondition(st, batchv1.JobFailed, cond.Reason, cond.Message, now)
		return
	}
	cond := findTrue(st, batchv1.JobSuccessCriteriaMet)
	setCondition(st, batchv1.JobComplete, cond.Reason, cond.Message, now)
	st.CompletionTime = &metav1.Time{Time: now}
}

func succeededEnough(job *batchv1.Job, succeeded int32, active int) bool {
	if isIndexed(job) {
		return len(parseIndexes(job.Status.CompletedIndexes)) >= int(*job.Spec.Completions)
	}
	if job.Spec.Completions == nil { // work queue: one success and nothing left running
		return succeeded > 0 && active == 0
	}
	return succeeded >= *job.Spec.Completions
}

func pastDeadline(job *batchv1.Job, now time.Time) bool {
	ads := job.Spec.ActiveDeadlineSeconds
	return ads != nil && job.Status.StartTime != nil && !now.Before(job.Status.StartTime.Add(time.Duration(*ads)*time.Second))
}

// managePods creates or deletes pods to run as many as the Job wants now;
// lastFailed is lastFailedPerIndex's answer. It returns the change in
// running pods (created minus deleted).
func (c *Controller) managePods(ctx context.Context, job *batchv1.Job, key cache.ObjectName, active []*corev1.Pod, succeeded int32, lastFailed map[int]*corev1.Pod) (int, error) {
	parallelism := int32(1)
	if job.Spec.Parallelism != nil {
		parallelism = *job.Spec.Parallelism
	}
	var excess []*corev1.Pod
	var indexes []int // for Indexed Jobs, which indexes to create
	want := 0
	if isIndexed(job) {
		excess, indexes = planIndexed(job, active, parallelism)
		want = len(indexes)
	} else {
		target := parallelism
		if job.Spec.Completions != nil {
			target = min(parallelism, *job.Spec.Completions-succeeded)
		} else if succeeded > 0 {
			target = 0 // work queue: once one succeeds, start no more
		}
		target = max(target, 0)
		if n := len(active) - int(target); n > 0 {
			// Delete the pods that are furthest from running first.
			slices.SortStableFunc(active, func(a, b *corev1.Pod) int { return rank(a) - rank(b) })
			excess = active[:n]
		} else {
			want = -n
		}
	}
	if len(excess) > 0 {
		return -len(excess), c.deletePods(ctx, job, excess)
	}
	if want == 0 {
		return 0, nil
	}
	if hasBackoffLimitPerIndex(job) {
		// Each index backs off on its own; start those whose delay is over.
		var wait time.Duration
		indexes, wait = c.indexesDue(indexes, lastFailed, c.cfg.Clock.Now())
		if wait > 0 {
			c.queue.AddAfter(key, wait)
		}
		if want = len(indexes); want == 0 {
			return 0, nil
		}
	} else if d := c.backoffDelay(job, c.cfg.Clock.Now()); d > 0 {
		c.queue.AddAfter(key, d)
		return 0, nil
	}
	c.expect.Expect(key.String(), want, nil)
	var created int
	var firstErr error
	for i := 0; i < want; i++ {
		idx := -1
		if indexes != nil {
			idx = indexes[i]
		}
		p := newPod(job, idx)
		if hasBackoffLimitPerIndex(job) {
			setIndexFailureCounts(p, job, lastFailed[idx])
		}
		_, err := c.client.CoreV1().Pods(job.Namespace).Create(ctx, p, metav1.CreateOptions{})
		if err != nil {
			c.expect.CreationObserved(key.String()) // will never be observed
			if firstErr == nil {
				firstErr = fmt.Errorf("creating pod for job %s/%s: %w", job.Namespace, job.Name, err)
			}
			continue
		}
		created++
	}
	return created, firstErr
}

// planIndexed picks pods to delete (duplicates, indexes already done,
// indexes beyond parallelism) and indexes to start.
func planIndexed(job *batchv1.Job, active []*corev1.Pod, parallelism int32) ([]*corev1.Pod, []int) {
	done := map[int]bool{}
	for _, i := range parseIndexes(job.Status.CompletedIndexes) {
		done[i] = true
	}
	failed := map[int]bool{} // not started again; a pod still running finishes
	if job.Status.FailedIndexes != nil {
		for _, i := range parseIndexes(*job.Status.FailedIndexes) {
			failed[i] = true
		}
	}
	running := map[int]bool{}
	var excess, keep []*corev1.Pod
	for _, p := range active {
		i, ok := podIndex(p, job)
		if !ok || done[i] || running[i] {
			excess = append(excess, p)
			continue
		}
		running[i] = true
		keep = append(keep, p)
	}
	if n := len(keep) - int(parallelism); n > 0 { // parallelism lowered: stop the highest indexes
		slices.SortFunc(keep, func(a, b *corev1.Pod) int {
			ia, _ := podIndex(a, job)
			ib, _ := podIndex(b, job)
			return ib - ia
		})
		excess = append(excess, keep[:n]...)
		return excess, nil
	}
	var start []int
	for i := 0; i < int(*job.Spec.Completions) && len(keep)+len(start) < int(parallelism); i++ {
		if !done[i] && !failed[i] && !running[i] {
			start = append(start, i)
		}
	}
	return excess, start
}

// rank orders pods for deletion: unscheduled, then pending, then not
// ready, then ready.
func rank(p *corev1.Pod) int {
	switch {
	case p.Spec.NodeName == "":
		return 0
	case p.Status.Phase == corev1.PodPending:
		return 1
	case !podcontrol.IsReady(p):
		return 2
	}
	return 3
}

// deletePods stops pods the Job no longer wants. They are not counted:
// the finalizer comes off first, as upstream does for pods it removes.
func (c *Controller) deletePods(ctx context.Context, job *batchv1.Job, pods []*corev1.Pod) error {
	if len(pods) == 0 {
		return nil
	}
	key := cache.MetaObjectToName(job).String()
	c.expect.Expect(key, 0, pods)
	var firstErr error
	for _, p := range pods {
		err := c.removeFinalizers(ctx, []*corev1.Pod{p})
		if err == nil {
			err = c.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{})
		}
		if err != nil {
			c.expect.DeletionObserved(key, p) // never to be observed
		}
		if err != nil && !apierrors.IsNotFound(err) {
			if firstErr == nil {
				firstErr = fmt.Errorf("deleting pod %s/%s: %w", p.Namespace, p.Name, err)
			}
		}
	}
	return firstErr
}

// newPod builds a pod from the Job's template; idx >= 0 is its
// completion index.
func newPod(job *batchv1.Job, idx int) *corev1.Pod {
	t := job.Spec.Template.DeepCopy()
	p := &corev1.Pod{
		ObjectMeta: t.ObjectMeta,
		Spec:       t.Spec,
	}
	p.Name, p.Namespace, p.ResourceVersion, p.UID = "", job.Namespace, "", ""
	p.GenerateName = job.Name + "-"
	p.Finalizers = append(p.Finalizers, batchv1.JobTrackingFinalizer)
	p.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(job, controllerKind)}
	if idx >= 0 {
		s := strconv.Itoa(idx)
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		if p.Labels == nil {
			p.Labels = map[string]string{}
		}
		p.Annotations[batchv1.JobCompletionIndexAnnotation] = s
		p.Labels[batchv1.JobCompletionIndexAnnotation] = s
		p.GenerateName = fmt.Sprintf("%s-%d-", job.Name, idx)
		if p.Spec.Hostname == "" {
			p.Spec.Hostname = fmt.Sprintf("%s-%d", job.Name, idx)
		}
		env := corev1.EnvVar{Name: "JOB_COMPLETION_INDEX", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
			FieldPath: fmt.Sprintf("metadata.labels['%s']", batchv1.JobCompletionIndexAnnotation)}}}
		for i := range p.Spec.InitContainers {
			p.Spec.InitContainers[i].Env = append(p.Spec.InitContainers[i].Env, env)
		}
		for i := range p.Spec.Containers {
			p.Spec.Containers[i].Env = append(p.Spec.Containers[i].Env, env)
		}
	}
	return p
}

// podsOf returns the pods the Job controls after claiming: orphans its
// selector matches are adopted (with the tracking finalizer), owned pods
// it no longer matches are released.
func (c *Controller) podsOf(ctx context.Context, job *batchv1.Job) ([]*corev1.Pod, error) {
	sel, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
	if err != nil {
		return nil, nil // an invalid selector matches nothing
	}
	all, err := c.pods.Pods(job.Namespace).List(everything)
	if err != nil {
		return nil, err
	}
	var candidates []*corev1.Pod
	for _, p := range all {
		ref := metav1.GetControllerOfNoCopy(p)
		if (ref != nil && ref.UID == job.UID) || (ref == nil && sel.Matches(labels.Set(p.Labels))) {
			candidates = append(candidates, p)
		}
	}
	return claim.Claim(ctx, claim.Owner{
		Object: job, Kind: controllerKind, Selector: sel,
		Finalizer: batchv1.JobTrackingFinalizer,
		Patch: func(ctx context.Context, name string, patch []byte) error {
			_, err := c.client.CoreV1().Pods(job.Namespace).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
			return err
		},
		CanAdopt: claim.Recheck(job, func(ctx context.Context) (*batchv1.Job, error) {
			return c.client.BatchV1().Jobs(job.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
		}),
	}, candidates)
}

func isFinished(job *batchv1.Job) bool {
	return findTrue(&job.Status, batchv1.JobComplete) != nil || findTrue(&job.Status, batchv1.JobFailed) != nil
}

func findCondition(st *batchv1.JobStatus, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}

func findTrue(st *batchv1.JobStatus, t batchv1.JobConditionType) *batchv1.JobCondition {
	if c := findCondition(st, t); c != nil && c.Status == corev1.ConditionTrue {
		return c
	}
	return nil
}

func setCondition(st *batchv1.JobStatus, t batchv1.JobConditionType, reason, msg string, now time.Time) {
	setConditionStatus(st, t, corev1.ConditionTrue, reason, msg, now)
}

// setConditionStatus sets a condition, touching its times only when it
// changes.
func setConditionStatus(st *batchv1.JobStatus, t batchv1.JobConditionType, s corev1.ConditionStatus, reason, msg string, now time.Time) {
	ts := metav1.Time{Time: now}
	if c := findCondition(st, t); c != nil {
		if c.Status == s && c.Reason == reason && c.Message == msg {
			return
		}
		if c.Status != s {
			c.LastTransitionTime = ts
		}
		c.Status, c.Reason, c.Message, c.LastProbeTime = s, reason, msg, ts
		return
	}
	st.Conditions = append(st.Conditions, batchv1.JobCondition{Type: t, Status: s, Reason: reason, Message: msg,
		LastProbeTime: ts, LastTransitionTime: ts})
}

// noteFailures updates the Job's consecutive-failure record.
func (c *Controller) noteFailures(job *batchv1.Job, succeeded, failed int, now time.Time) {
	if succeeded == 0 && failed == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.backoff[job.UID]
	if failed > 0 {
		r = backoffRecord{failures: r.failures + failed, last: now}
	} else {
		r = backoffRecord{}
	}
	c.backoff[job.UID] = r
}

// backoffDelay is how long to wait before creating pods again.
func (c *Controller) backoffDelay(job *batchv1.Job, now time.Time) time.Duration {
	c.mu.Lock()
	r := c.backoff[job.UID]
	c.mu.Unlock()
	if r.failures == 0 {
		return 0
	}
	d := c.cfg.BackoffBase
	for i := 1; i < r.failures && d < c.cfg.BackoffMax; i++ {
		d *= 2
	}
	return r.last.Add(min(d, c.cfg.BackoffMax)).Sub(now)
}

func (c *Controller) forgetBackoff(job *batchv1.Job) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.backoff, job.UID)
}
