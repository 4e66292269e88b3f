package job

import (
	"math"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Per-index backoff (spec.backoffLimitPerIndex), as upstream: every pod of
// such a Job carries batch.kubernetes.io/job-index-failure-count, the
// failures its index had before it (and job-index-ignored-failure-count,
// those a podFailurePolicy Ignore rule matched). A failed pod whose count
// already reached the limit, or that matched a FailIndex rule, fails its
// index for good: it goes to status.failedIndexes and is not run again.
// Otherwise the index is retried after a delay doubling with its failures.
//
// The count lives only on pods, so the last failed pod of an index waiting
// for its replacement keeps the tracking finalizer (it stays uncounted)
// until the replacement, which copies the count plus one, exists.

func hasBackoffLimitPerIndex(job *batchv1.Job) bool {
	return isIndexed(job) && job.Spec.BackoffLimitPerIndex != nil && job.Spec.Completions != nil
}

// indexFailures reads a pod's failure counts; a missing, malformed or out
// of range annotation reads 0.
func indexFailures(p *corev1.Pod) (counted, ignored int32) {
	return annotationCount(p, batchv1.JobIndexFailureCountAnnotation), annotationCount(p, batchv1.JobIndexIgnoredFailureCountAnnotation)
}

func annotationCount(p *corev1.Pod, key string) int32 {
	n, err := strconv.Atoi(p.Annotations[key])
	if err != nil || n < 0 || n > math.MaxInt32 {
		return 0
	}
	return int32(n)
}

// failsIndex reports whether a failed pod, judged v by the pod failure
// policy, fails its index.
func failsIndex(job *batchv1.Job, p *corev1.Pod, v policyVerdict) bool {
	if v.action == batchv1.PodFailurePolicyActionFailIndex {
		return true
	}
	counted, _ := indexFailures(p)
	return v.counts() && counted >= *job.Spec.BackoffLimitPerIndex
}

// perIndexFailure is the FailureTarget reason and message the failed
// indexes call for, if any: more than spec.maxFailedIndexes, or every
// index either succeeded or failed with at least one failed.
func perIndexFailure(job *batchv1.Job) (reason, msg string) {
	if !hasBackoffLimitPerIndex(job) || job.Status.FailedIndexes == nil {
		return "", ""
	}
	completions := int(*job.Spec.Completions)
	failed := len(parseIndexesBelow(*job.Status.FailedIndexes, completions))
	switch {
	case job.Spec.MaxFailedIndexes != nil && failed > int(*job.Spec.MaxFailedIndexes):
		return batchv1.JobReasonMaxFailedIndexesExceeded, "Job has exceeded the specified maximal number of failed indexes"
	case failed > 0 && failed+len(parseIndexesBelow(job.Status.CompletedIndexes, completions)) >= completions:
		return batchv1.JobReasonFailedIndexes, "Job has failed indexes"
	}
	return "", ""
}

// lastFailedPerIndex finds, for each index still to be retried (neither
// succeeded nor failed, with no pod running), its latest failed pod not
// yet counted: the one the replacement takes its failure count from.
func lastFailedPerIndex(job *batchv1.Job, pods []*corev1.Pod) map[int]*corev1.Pod {
	if !hasBackoffLimitPerIndex(job) {
		return nil
	}
	st := &job.Status
	completions := int(*job.Spec.Completions)
	settled := map[int]bool{}
	for _, i := range parseIndexesBelow(st.CompletedIndexes, completions) {
		settled[i] = true
	}
	if st.FailedIndexes != nil {
		for _, i := range parseIndexesBelow(*st.FailedIndexes, completions) {
			settled[i] = true
		}
	}
	uncounted := map[types.UID]bool{}
	if u := st.UncountedTerminatedPods; u != nil {
		for _, uid := range u.Failed {
			uncounted[uid] = true
		}
	}
	last := map[int]*corev1.Pod{}
	for _, p := range pods {
		i, ok := podIndex(p, job)
		if !ok {
			continue
		}
		done, succeeded := finished(p)
		if !done && p.DeletionTimestamp == nil {
			settled[i] = true // running
			continue
		}
		if !done || succeeded || (!hasFinalizer(p) && !uncounted[p.UID]) {
			continue
		}
		if prev, ok := last[i]; !ok || absoluteFailures(prev) <= absoluteFailures(p) && !finishedTime(p).Before(finishedTime(prev)) {
			last[i] = p
		}
	}
	for i := range last {
		if settled[i] {
			delete(last, i)
		}
	}
	return last
}

func absoluteFailures(p *corev1.Pod) int32 {
	counted, ignored := indexFailures(p)
	return counted + ignored
}

// setIndexFailureCounts writes the failure counts on a new pod of an
// index whose last failed pod was replaced (nil: the index's first pod).
func setIndexFailureCounts(p *corev1.Pod, job *batchv1.Job, replaced *corev1.Pod) {
	var counted, ignored int32
	if replaced != nil {
		counted, ignored = indexFailures(replaced)
		if matchPodFailurePolicy(job, replaced).counts() {
			counted++
		} else {
			ignored++
		}
	}
	p.Annotations[batchv1.JobIndexFailureCountAnnotation] = strconv.Itoa(int(counted))
	if ignored > 0 {
		p.Annotations[batchv1.JobIndexIgnoredFailureCountAnnotation] = strconv.Itoa(int(ignored))
	}
}

// indexBackoff is how long an index waits before its replacement pod:
// BackoffBase doubled for each failure of the index after the first, up
// to BackoffMax, counted from when its last pod finished.
func (c *Controller) indexBackoff(replaced *corev1.Pod, now time.Time) time.Duration {
	if replaced == nil {
		return 0
	}
	d := c.cfg.BackoffBase
	for i := int32(0); i < absoluteFailures(replaced) && d < c.cfg.BackoffMax; i++ {
		d *= 2
	}
	return max(finishedTime(replaced).Add(min(d, c.cfg.BackoffMax)).Sub(now), 0)
}

// finishedTime is when a pod finished: its containers' last exit, else
// when it stopped being ready, else its deletion (less the grace period),
// else its creation.
func finishedTime(p *corev1.Pod) time.Time {
	var last time.Time
	complete := len(p.Status.ContainerStatuses) > 0
	for _, cs := range p.Status.ContainerStatuses {
		t := cs.State.Terminated
		if t == nil || t.FinishedAt.IsZero() {
			complete = false
			break
		}
		if t.FinishedAt.After(last) {
			last = t.FinishedAt.Time
		}
	}
	if complete {
		return last
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionFalse && !c.LastTransitionTime.IsZero() {
			return c.LastTransitionTime.Time
		}
	}
	if p.DeletionTimestamp != nil {
		grace := time.Duration(0)
		if p.DeletionGracePeriodSeconds != nil {
			grace = time.Duration(*p.DeletionGracePeriodSeconds) * time.Second
		}
		return p.DeletionTimestamp.Add(-grace)
	}
	return p.CreationTimestamp.Time
}

// indexesDue keeps the indexes whose backoff is over, and
// also returns the shortest wait of the others (0: none waits).
func (c *Controller) indexesDue(indexes []int, lastFailed map[int]*corev1.Pod, now time.Time) ([]int, time.Duration) {
	var due []int
	var wait time.Duration
	for _, i := range indexes {
		d := c.indexBackoff(lastFailed[i], now)
		if d == 0 {
			due = append(due, i)
		} else if wait == 0 || d < wait {
			wait = d
		}
	}
	return due, wait
}
