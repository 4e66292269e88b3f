package job_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
)

func indexOf(p *corev1.Pod) int {
	i, _ := strconv.Atoi(p.Annotations[batchv1.JobCompletionIndexAnnotation])
	return i
}

// failOdd is e2e's "failOddSucceedEven" pod: odd indexes exit 1.
func failOdd(p *corev1.Pod) int32 { return int32(indexOf(p) % 2) }

func newPerIndexJob(name string, completions, parallelism, perIndex int32) *batchv1.Job {
	j := newJob(name, completions, parallelism)
	j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
	j.Spec.BackoffLimitPerIndex = ptr.To(perIndex)
	return j
}

// failedWith checks the Job ended Failed with reason, through a
// FailureTarget of the same reason, and the status counters.
func failedWith(t *testing.T, j *batchv1.Job, reason, failedIndexes, completedIndexes string, failed, succeeded int32) {
	t.Helper()
	for _, ct := range []batchv1.JobConditionType{batchv1.JobFailureTarget, batchv1.JobFailed} {
		if c := condition(j, ct); c == nil || c.Status != corev1.ConditionTrue || c.Reason != reason {
			t.Errorf("condition %s = %+v, want reason %s", ct, c, reason)
		}
	}
	if got := ptr.Deref(j.Status.FailedIndexes, "<nil>"); got != failedIndexes {
		t.Errorf("failedIndexes %q, want %q", got, failedIndexes)
	}
	if j.Status.CompletedIndexes != completedIndexes || j.Status.Failed != failed || j.Status.Succeeded != succeeded {
		t.Errorf("completedIndexes %q failed %d succeeded %d, want %q %d %d",
			j.Status.CompletedIndexes, j.Status.Failed, j.Status.Succeeded, completedIndexes, failed, succeeded)
	}
	if j.Status.Active != 0 || ptr.Deref(j.Status.Terminating, -1) != 0 {
		t.Errorf("active %d terminating %v after failure", j.Status.Active, j.Status.Terminating)
	}
}

// failureCounts lists, per index, the job-index-failure-count of its
// pods, lowest first (each replacement has one more).
func failureCounts(pods []corev1.Pod) map[int][]string {
	out := map[int][]string{}
	for _, p := range pods {
		out[indexOf(&p)] = append(out[indexOf(&p)], p.Annotations[batchv1.JobIndexFailureCountAnnotation])
	}
	for _, counts := range out {
		slices.Sort(counts)
	}
	return out
}

// TestBackoffLimitPerIndexRunsAllIndexes is e2e's "should execute all
// indexes despite some failing when using backoffLimitPerIndex": odd
// indexes fail twice each (one retry), even ones succeed, and the Job
// fails with FailedIndexes once every index is done.
func TestBackoffLimitPerIndexRunsAllIndexes(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := startWithBackoff(t, s)
	k := runKubelet(ctx, t, s, "default", failOdd)
	j, err := s.Client.BatchV1().Jobs("default").Create(ctx, newPerIndexJob("odd", 4, 2, 1), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ptr.Deref(j.Spec.BackoffLimit, 0) != math.MaxInt32 {
		t.Errorf("backoffLimit defaulted to %v, want MaxInt32 with backoffLimitPerIndex", j.Spec.BackoffLimit)
	}
	j = waitForCondition(ctx, t, s, "odd", batchv1.JobFailed)
	failedWith(t, j, batchv1.JobReasonFailedIndexes, "1,3", "0,2", 4, 2)
	if got := failureCounts(waitReleased(ctx, t, s)); len(got) != 4 || !slices.Equal(got[1], []string{"0", "1"}) || !slices.Equal(got[3], []string{"0", "1"}) ||
		!slices.Equal(got[0], []string{"0"}) || !slices.Equal(got[2], []string{"0"}) {
		t.Errorf("failure counts per index %v", got)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.maxLive > 2 {
		t.Errorf("%d pods ran at once, parallelism is 2", k.maxLive)
	}
}

// TestMaxFailedIndexesExceeded is e2e's "should terminate job execution
// when the number of failed indexes exceeds maxFailedIndexes", with a
// second index that keeps running: it is deleted when the Job fails.
func TestMaxFailedIndexesExceeded(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := startWithBackoff(t, s)
	runKubelet(ctx, t, s, "default", func(p *corev1.Pod) int32 {
		if indexOf(p) == 0 {
			return 1
		}
		return -1 // index 1 runs until deleted
	})
	j := newPerIndexJob("max", 4, 2, 0)
	j.Spec.MaxFailedIndexes = ptr.To[int32](0)
	if _, err := s.Client.BatchV1().Jobs("default").Create(ctx, j, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	j = waitForCondition(ctx, t, s, "max", batchv1.JobFailed)
	failedWith(t, j, batchv1.JobReasonMaxFailedIndexesExceeded, "0", "", 1, 0)
	controllertest.Eventually(t, "index 1's pod to be deleted", func(ctx context.Context) (bool, error) {
		l, err := s.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, p := range l.Items {
			if indexOf(&p) != 0 && p.DeletionTimestamp == nil {
				return false, nil
			}
		}
		return len(l.Items) >= 1, nil
	})
}

// TestIndexFailureCountAnnotation is e2e's "should record the
// failure-count in the Pod annotation when using backoffLimitPerIndex",
// with a 2s backoff: each index's replacement waits for it.
func TestIndexFailureCountAnnotation(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := startWithBackoffOf(t, s, 2*time.Second, 2*time.Second)
	runKubelet(ctx, t, s, "default", func(*corev1.Pod) int32 { return 1 })
	if _, err := s.Client.BatchV1().Jobs("default").Create(ctx, newPerIndexJob("count", 2, 2, 1), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	j := waitForCondition(ctx, t, s, "count", batchv1.JobFailed)
	failedWith(t, j, batchv1.JobReasonFailedIndexes, "0,1", "", 4, 0)
	pods := waitReleased(ctx, t, s)
	if got := failureCounts(pods); len(got) != 2 || !slices.Equal(got[0], []string{"0", "1"}) || !slices.Equal(got[1], []string{"0", "1"}) {
		t.Errorf("failure counts per index %v, want 0: [0 1], 1: [0 1]", got)
	}
	for i := 0; i < 2; i++ {
		var first, second *corev1.Pod
		for k := range pods {
			if indexOf(&pods[k]) != i {
				continue
			}
			if pods[k].Annotations[batchv1.JobIndexFailureCountAnnotation] == "0" {
				first = &pods[k]
			} else {
				second = &pods[k]
			}
		}
		if first == nil || second == nil {
			continue
		}
		// Timestamps have one-second resolution: a 2s backoff leaves at least 1s.
		finished := first.Status.ContainerStatuses[0].State.Terminated.FinishedAt.Time
		if gap := second.CreationTimestamp.Sub(finished); gap < time.Second {
			t.Errorf("index %d: replacement created %s after the failure, want the 2s backoff", i, gap)
		}
	}
}

// TestPodFailurePolicyPerIndex: e2e's "should mark indexes as failed
// when the FailIndex action is matched in podFailurePolicy" (index 1
// fails on its first pod despite backoffLimitPerIndex 1), and an Ignore
// rule, whose failures are not counted but recorded in
// job-index-ignored-failure-count.
func TestPodFailurePolicyPerIndex(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := startWithBackoff(t, s)
	runKubelet(ctx, t, s, "default", func(p *corev1.Pod) int32 {
		if p.Labels[batchv1.JobNameLabel] == "ignore" {
			if p.Annotations[batchv1.JobIndexIgnoredFailureCountAnnotation] == "" {
				return 42 // each index's first pod
			}
			return 0
		}
		return failOdd(p)
	})
	failIndex := newPerIndexJob("failindex", 2, 2, 1)
	failIndex.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
		Action:      batchv1.PodFailurePolicyActionFailIndex,
		OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{1}},
	}}}
	ignore := newPerIndexJob("ignore", 2, 2, 0)
	ignore.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
		Action:      batchv1.PodFailurePolicyActionIgnore,
		OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{42}},
	}}}
	for _, j := range []*batchv1.Job{failIndex, ignore} {
		if _, err := s.Client.BatchV1().Jobs("default").Create(ctx, j, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	j := waitForCondition(ctx, t, s, "failindex", batchv1.JobFailed)
	failedWith(t, j, batchv1.JobReasonFailedIndexes, "1", "0", 1, 1)

	j = waitForCondition(ctx, t, s, "ignore", batchv1.JobComplete)
	if j.Status.Failed != 0 || j.Status.Succeeded != 2 || ptr.Deref(j.Status.FailedIndexes, "<nil>") != "" || j.Status.CompletedIndexes != "0,1" {
		t.Errorf("ignore: failed %d succeeded %d failedIndexes %v completedIndexes %q, want 0 2 \"\" 0,1",
			j.Status.Failed, j.Status.Succeeded, j.Status.FailedIndexes, j.Status.CompletedIndexes)
	}
	var replacements int
	for _, p := range waitReleased(ctx, t, s) {
		if p.Labels[batchv1.JobNameLabel] != "ignore" || p.Status.Phase != corev1.PodSucceeded {
			continue
		}
		replacements++
		if a := p.Annotations; a[batchv1.JobIndexFailureCountAnnotation] != "0" || a[batchv1.JobIndexIgnoredFailureCountAnnotation] != "1" {
			t.Errorf("ignore: replacement %s has counts %q/%q, want 0/1", p.Name,
				a[batchv1.JobIndexFailureCountAnnotation], a[batchv1.JobIndexIgnoredFailureCountAnnotation])
		}
	}
	if replacements != 2 {
		t.Errorf("ignore: %d succeeded replacements, want 2", replacements)
	}
}

// TestPerIndexInvalid: the API rejects per-index fields that do not fit
// with a 422 Invalid Status naming each field, as upstream.
func TestPerIndexInvalid(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	nonIndexed := newJob("plain", 2, 1)
	nonIndexed.Spec.BackoffLimitPerIndex = ptr.To[int32](1)
	tooMany := newPerIndexJob("toomany", 2, 1, 1)
	tooMany.Spec.MaxFailedIndexes = ptr.To[int32](3)
	noPerIndex := newPerIndexJob("noperindex", 2, 1, 1)
	noPerIndex.Spec.BackoffLimitPerIndex = nil
	noPerIndex.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
		Action:      batchv1.PodFailurePolicyActionFailIndex,
		OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{1}},
	}}}
	for _, tc := range []struct {
		job          *batchv1.Job
		field, cause string
	}{
		{nonIndexed, "spec.backoffLimitPerIndex", "requires indexed completion mode"},
		{tooMany, "spec.maxFailedIndexes", "must be less than or equal to completions"},
		{noPerIndex, "spec.podFailurePolicy.rules[0].action", "requires the backoffLimitPerIndex to be set"},
	} {
		_, err := s.Client.BatchV1().Jobs("default").Create(ctx, tc.job, metav1.CreateOptions{})
		var st apierrors.APIStatus
		if !errors.As(err, &st) || st.Status().Code != 422 || st.Status().Reason != metav1.StatusReasonInvalid {
			t.Errorf("%s: want 422 Invalid, got %v", tc.job.Name, err)
			continue
		}
		found := false
		for _, c := range st.Status().Details.Causes {
			found = found || (c.Field == tc.field && strings.Contains(c.Message, tc.cause))
		}
		if !found {
			t.Errorf("%s: want a cause at %s (%q), got %+v", tc.job.Name, tc.field, tc.cause, st.Status().Details.Causes)
		}
	}
}

// TestPodFailurePolicyFailJob: a pod matching a FailJob rule fails the
// Job at once (FailureTarget, then Failed, reason PodFailurePolicy, the
// message naming the pod and rule), whatever backoffLimit allows.
func TestPodFailurePolicyFailJob(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := startWithBackoff(t, s)
	runKubelet(ctx, t, s, "default", func(*corev1.Pod) int32 { return 3 })
	j := newJob("failjob", 2, 1)
	j.Spec.BackoffLimit = ptr.To[int32](10)
	j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
		{Action: batchv1.PodFailurePolicyActionIgnore, OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{
			{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}}},
		{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
			Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{3}}},
	}}
	if _, err := s.Client.BatchV1().Jobs("default").Create(ctx, j, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	j = waitForCondition(ctx, t, s, "failjob", batchv1.JobFailed)
	for _, ct := range []batchv1.JobConditionType{batchv1.JobFailureTarget, batchv1.JobFailed} {
		c := condition(j, ct)
		if c == nil || c.Reason != batchv1.JobReasonPodFailurePolicy ||
			!strings.Contains(c.Message, "failed with exit code 3 matching FailJob rule at index 1") {
			t.Errorf("condition %s = %+v, want reason PodFailurePolicy", ct, c)
		}
	}
	if j.Status.Failed != 1 || j.Status.FailedIndexes != nil {
		t.Errorf("failed %d failedIndexes %v, want 1 and none", j.Status.Failed, j.Status.FailedIndexes)
	}
}
