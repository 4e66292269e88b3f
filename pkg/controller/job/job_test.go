package job_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/controller/internal/kubelettest"
	"github.com/tinykube/tinykube/pkg/controller/job"
	"github.com/tinykube/tinykube/pkg/controllermanager"
)

// startManager runs the job controller the way tinykube does.
func startManager(t *testing.T, s *testserver.Server) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := controllermanager.DefaultConfig()
	cfg.RESTConfig, cfg.LeaderElect, cfg.Controllers = s.RESTConfig, false, []string{"job"}
	go func() { _ = controllermanager.Run(ctx, cfg) }()
	return ctx
}

// startWithBackoff runs the job controller alone with a short backoff.
func startWithBackoff(t *testing.T, s *testserver.Server) context.Context {
	return startWithBackoffOf(t, s, 10*time.Millisecond, 50*time.Millisecond)
}

// startWithBackoffOf runs the job controller alone with the given backoff.
func startWithBackoffOf(t *testing.T, s *testserver.Server, base, maxDelay time.Duration) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cc := controller.Context{Client: s.Client, RESTConfig: s.RESTConfig,
		Informers: informers.NewSharedInformerFactory(s.Client, 0), Logger: slog.Default()}
	c, err := job.NewWithConfig(ctx, cc, job.Config{BackoffBase: base, BackoffMax: maxDelay, Clock: clock.RealClock{}})
	if err != nil {
		t.Fatal(err)
	}
	cc.Informers.Start(ctx.Done())
	go c.Run(ctx, 2)
	return ctx
}

// kubelet finishes every new pod in ns with the exit code exit picks (a
// negative one leaves the pod running), and records the most pods it ever
// saw running at once.
type kubelet struct {
	mu      sync.Mutex
	maxLive int
}

func runKubelet(ctx context.Context, t *testing.T, s *testserver.Server, ns string, exit func(*corev1.Pod) int32) *kubelet {
	k := &kubelet{}
	go func() {
		for ctx.Err() == nil {
			pods, err := s.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err == nil {
				live := 0
				for _, p := range pods.Items {
					if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodPending {
						live++
						code := exit(&p)
						if code < 0 {
							continue
						}
						if err := kubelettest.Exit(ctx, s.Client, ns, p.Name, code); err != nil && ctx.Err() == nil {
							t.Logf("kubelet: %v", err)
						}
					}
				}
				k.mu.Lock()
				k.maxLive = max(k.maxLive, live)
				k.mu.Unlock()
			}
			time.Sleep(20 * time.Millisecond) // the kubelet's own poll interval
		}
	}()
	return k
}

func newJob(name string, completions, parallelism int32) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: batchv1.JobSpec{
			Completions: &completions, Parallelism: &parallelism,
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "work", Image: "busybox"}},
			}},
		},
	}
}

func waitForCondition(ctx context.Context, t *testing.T, s *testserver.Server, name string, ct batchv1.JobConditionType) *batchv1.Job {
	t.Helper()
	var got *batchv1.Job
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		j, err := s.Client.BatchV1().Jobs("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		got = j
		for _, c := range j.Status.Conditions {
			if c.Type == ct && c.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("job %s never got %s: %v; status %+v", name, ct, err, got.Status)
	}
	return got
}

func condition(j *batchv1.Job, ct batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range j.Status.Conditions {
		if j.Status.Conditions[i].Type == ct {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}

// waitReleased waits until no pod of the namespace keeps the tracking
// finalizer, and returns the pods.
func waitReleased(ctx context.Context, t *testing.T, s *testserver.Server) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	controllertest.Eventually(t, "no pod to keep the tracking finalizer", func(ctx context.Context) (bool, error) {
		l, err := s.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		pods = l.Items
		for _, p := range pods {
			if slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer) {
				return false, nil
			}
		}
		return true, nil
	})
	return pods
}

// TestJobCompletes: 3 completions, 2 at a time, end Complete.
func TestJobCompletes(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := startManager(t, s)
	k := runKubelet(ctx, t, s, "default", func(*corev1.Pod) int32 { return 0 })
	if _, err := s.Client.BatchV1().Jobs("default").Create(ctx, newJob("pi", 3, 2), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	j := waitForCondition(ctx, t, s, "pi", batchv1.JobComplete)
	if j.Status.Succeeded != 3 || j.Status.Failed != 0 || j.Status.Active != 0 {
		t.Errorf("status succeeded=%d failed=%d active=%d, want 3/0/0", j.Status.Succeeded, j.Status.Failed, j.Status.Active)
	}
	if c := condition(j, batchv1.JobComplete); c.Reason != batchv1.JobReasonCompletionsReached {
		t.Errorf("Complete reason %q", c.Reason)
	}
	if condition(j, batchv1.JobSuccessCriteriaMet) == nil || j.Status.CompletionTime == nil || j.Status.StartTime == nil {
		t.Errorf("want SuccessCriteriaMet, startTime and completionTime: %+v", j.Status)
	}
	pods := waitReleased(ctx, t, s)
	if len(pods) != 3 {
		t.Errorf("%d pods created, want 3", len(pods))
	}
	for _, p := range pods {
		if p.Labels[batchv1.JobNameLabel] != "pi" || metav1.GetControllerOf(&p) == nil {
			t.Errorf("pod %s: labels %v, owner %v", p.Name, p.Labels, p.OwnerReferences)
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.maxLive > 2 {
		t.Errorf("%d pods ran at once, parallelism is 2", k.maxLive)
	}
}

// TestJobBackoffLimit: every pod fails; after backoffLimit+1 failures
// the Job is Failed with BackoffLimitExceeded.
func TestJobBackoffLimit(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := startWithBackoff(t, s)
	runKubelet(ctx, t, s, "default", func(*corev1.Pod) int32 { return 1 })
	j := newJob("fails", 1, 1)
	j.Spec.BackoffLimit = new(int32(2))
	if _, err := s.Client.BatchV1().Jobs("default").Create(ctx, j, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	j = waitForCondition(ctx, t, s, "fails", batchv1.JobFailed)
	if c := condition(j, batchv1.JobFailed); c.Reason != batchv1.JobReasonBackoffLimitExceeded {
		t.Errorf("Failed reason %q, want BackoffLimitExceeded", c.Reason)
	}
	if c := condition(j, batchv1.JobFailureTarget); c == nil || c.Reason != batchv1.JobReasonBackoffLimitExceeded {
		t.Errorf("FailureTarget %+v", c)
	}
	if j.Status.Failed != 3 || j.Status.Succeeded != 0 {
		t.Errorf("failed=%d succeeded=%d, want 3/0", j.Status.Failed, j.Status.Succeeded)
	}
	if pods := waitReleased(ctx, t, s); len(pods) != 3 {
		t.Errorf("%d pods, want 3", len(pods))
	}
}

// TestJobBackoffDelaysReplacement: the pod replacing a failed one is
// created only after the backoff, counted from the sync that first sees
// the failure (it used to start when the failed pod's finalizer removal
// reached the cache, after the replacement had been created at once).
func TestJobBackoffDelaysReplacement(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := startWithBackoffOf(t, s, 2*time.Second, 2*time.Second)
	runKubelet(ctx, t, s, "default", func(*corev1.Pod) int32 { return 1 })
	j := newJob("slow-retry", 1, 1)
	j.Spec.BackoffLimit = new(int32(1))
	if _, err := s.Client.BatchV1().Jobs("default").Create(ctx, j, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForCondition(ctx, t, s, "slow-retry", batchv1.JobFailed)
	pods := waitReleased(ctx, t, s)
	if len(pods) != 2 {
		t.Fatalf("%d pods, want 2", len(pods))
	}
	slices.SortFunc(pods, func(a, b corev1.Pod) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
	// Timestamps have one-second resolution: a 2s backoff leaves at least 1s.
	finished := pods[0].Status.ContainerStatuses[0].State.Terminated.FinishedAt.Time
	if gap := pods[1].CreationTimestamp.Sub(finished); gap < time.Second {
		t.Errorf("replacement created %s after the failure, want the 2s backoff", gap)
	}
}

// TestIndexedJob: each index runs once, with its index on the pod.
func TestIndexedJob(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := startManager(t, s)
	runKubelet(ctx, t, s, "default", func(*corev1.Pod) int32 { return 0 })
	j := newJob("idx", 3, 3)
	j.Spec.CompletionMode = new(batchv1.IndexedCompletion)
	if _, err := s.Client.BatchV1().Jobs("default").Create(ctx, j, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	j = waitForCondition(ctx, t, s, "idx", batchv1.JobComplete)
	if j.Status.CompletedIndexes != "0-2" || j.Status.Succeeded != 3 {
		t.Errorf("completedIndexes %q succeeded %d", j.Status.CompletedIndexes, j.Status.Succeeded)
	}
	var got []string
	for _, p := range waitReleased(ctx, t, s) {
		i := p.Annotations[batchv1.JobCompletionIndexAnnotation]
		if p.Labels[batchv1.JobCompletionIndexAnnotation] != i || p.Spec.Hostname != fmt.Sprintf("idx-%s", i) {
			t.Errorf("pod %s: index label %q, hostname %q", p.Name, p.Labels[batchv1.JobCompletionIndexAnnotation], p.Spec.Hostname)
		}
		got = append(got, i)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"0", "1", "2"}) {
		t.Errorf("indexes %v", got)
	}
}

// TestSuspendedJob runs no pods until resumed.
func TestSuspendedJob(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := startManager(t, s)
	j := newJob("later", 1, 1)
	j.Spec.Suspend = new(true)
	if _, err := s.Client.BatchV1().Jobs("default").Create(ctx, j, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	j = waitForCondition(ctx, t, s, "later", batchv1.JobSuspended)
	if pods, _ := s.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{}); len(pods.Items) != 0 || j.Status.StartTime != nil {
		t.Fatalf("suspended job has %d pods, startTime %v", len(pods.Items), j.Status.StartTime)
	}
	runKubelet(ctx, t, s, "default", func(*corev1.Pod) int32 { return 0 })
	if _, err := s.Client.BatchV1().Jobs("default").Patch(ctx, "later", "application/merge-patch+json",
		[]byte(`{"spec":{"suspend":false}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForCondition(ctx, t, s, "later", batchv1.JobComplete)
}

// TestActiveDeadline: a Job whose pods never finish fails with
// DeadlineExceeded and its pods are removed.
func TestActiveDeadline(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := startManager(t, s)
	j := newJob("slow", 2, 2)
	j.Spec.ActiveDeadlineSeconds = new(int64(1))
	if _, err := s.Client.BatchV1().Jobs("default").Create(ctx, j, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	j = waitForCondition(ctx, t, s, "slow", batchv1.JobFailed)
	if c := condition(j, batchv1.JobFailed); c.Reason != batchv1.JobReasonDeadlineExceeded {
		t.Errorf("Failed reason %q, want DeadlineExceeded", c.Reason)
	}
	if j.Status.Active != 0 {
		t.Errorf("active %d after failure", j.Status.Active)
	}
	controllertest.Eventually(t, "the failed job's pods to be deleted", func(ctx context.Context) (bool, error) {
		l, err := s.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
		return err == nil && len(l.Items) == 0, nil
	})
}

// TestSuccessPolicy: an Indexed Job whose successPolicy rule is met ends
// Complete with reason SuccessPolicy, even with an index that never
// succeeds; one met only by all its completions still says SuccessPolicy.
func TestSuccessPolicy(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := startManager(t, s)
	runKubelet(ctx, t, s, "default", func(p *corev1.Pod) int32 {
		if p.Labels[batchv1.JobCompletionIndexAnnotation] == "2" && strings.HasPrefix(p.Name, "some-") {
			return 1 // index 2 of "some" never succeeds
		}
		return 0
	})
	for _, tc := range []struct {
		name string
		rule batchv1.SuccessPolicyRule
	}{
		{"some", batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("0-1")}},
		{"all", batchv1.SuccessPolicyRule{SucceededCount: ptr.To[int32](3)}},
	} {
		j := newJob(tc.name, 3, 3)
		j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
		j.Spec.BackoffLimit = ptr.To[int32](100)
		j.Spec.SuccessPolicy = &batchv1.SuccessPolicy{Rules: []batchv1.SuccessPolicyRule{tc.rule}}
		if _, err := s.Client.BatchV1().Jobs("default").Create(ctx, j, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		j = waitForCondition(ctx, t, s, tc.name, batchv1.JobComplete)
		for _, ct := range []batchv1.JobConditionType{batchv1.JobSuccessCriteriaMet, batchv1.JobComplete} {
			if c := condition(j, ct); c == nil || c.Reason != batchv1.JobReasonSuccessPolicy || c.Message != "Matched rules at index 0" {
				t.Errorf("%s: condition %s = %+v, want reason SuccessPolicy", tc.name, ct, c)
			}
		}
		if tc.name == "some" && j.Status.CompletedIndexes != "0,1" {
			t.Errorf("some: completedIndexes %q, want 0,1", j.Status.CompletedIndexes)
		}
	}
}
