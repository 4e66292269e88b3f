package cronjob_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/controller/cronjob"
)

// start runs the cronjob controller alone on a fake clock; tests move
// it to anchor once they have created their CronJob.
func start(t *testing.T) (*testserver.Server, context.Context, *clocktesting.FakeClock) {
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	clk := clocktesting.NewFakeClock(time.Now())
	cc := controller.Context{Client: s.Client, RESTConfig: s.RESTConfig,
		Informers: informers.NewSharedInformerFactory(s.Client, 0), Logger: slog.Default(), Clock: clk}
	c, err := cronjob.New(ctx, cc)
	if err != nil {
		t.Fatal(err)
	}
	cc.Informers.Start(ctx.Done())
	go c.Run(ctx, 2)
	return s, ctx, clk
}

func newCronJob(name string, policy batchv1.ConcurrencyPolicy) *batchv1.CronJob {
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: batchv1.CronJobSpec{
			Schedule: "* * * * *", ConcurrencyPolicy: policy, TimeZone: new("UTC"),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"cron": name}},
				Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "tick", Image: "busybox"}},
				}}},
			},
		},
	}
}

func jobNames(ctx context.Context, t *testing.T, s *testserver.Server) []string {
	t.Helper()
	l, err := s.Client.BatchV1().Jobs("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, j := range l.Items {
		if j.DeletionTimestamp == nil {
			names = append(names, j.Name)
		}
	}
	slices.Sort(names)
	return names
}

func waitJobs(ctx context.Context, t *testing.T, s *testserver.Server, want ...string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		return slices.Equal(jobNames(ctx, t, s), want), nil
	})
	if err != nil {
		t.Fatalf("jobs %v, want %v", jobNames(ctx, t, s), want)
	}
}

// anchor sets the clock half a minute into the minute the CronJob was
// created in, so no run is due yet and each minute's step makes one due.
func anchor(clk *clocktesting.FakeClock, cj *batchv1.CronJob) time.Time {
	t0 := cj.CreationTimestamp.Truncate(time.Minute).Add(30 * time.Second)
	clk.SetTime(t0)
	return t0
}

// jobName is the Job for the run at minute m after the clock's start.
func jobName(cj string, start time.Time, m int) string {
	return fmt.Sprintf("%s-%d", cj, start.Truncate(time.Minute).Add(time.Duration(m)*time.Minute).Unix()/60)
}

// complete marks a Job finished, as the job controller would, and
// returns it as written.
func complete(ctx context.Context, t *testing.T, s *testserver.Server, name string, now time.Time) *batchv1.Job {
	t.Helper()
	j, err := s.Client.BatchV1().Jobs("default").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ts := metav1.NewTime(now)
	j.Status.StartTime, j.Status.CompletionTime, j.Status.Succeeded = &ts, &ts, 1
	j.Status.Conditions = []batchv1.JobCondition{
		{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, Reason: batchv1.JobReasonCompletionsReached, LastTransitionTime: ts},
		{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, Reason: batchv1.JobReasonCompletionsReached, LastTransitionTime: ts},
	}
	j, err = s.Client.BatchV1().Jobs("default").UpdateStatus(ctx, j, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// rv is an object's resourceVersion as the etcd revision it is.
func rv(t *testing.T, j *batchv1.Job) int64 {
	t.Helper()
	n, err := strconv.ParseInt(j.ResourceVersion, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// step advances the clock once the controller waits on it.
func step(t *testing.T, clk *clocktesting.FakeClock, d time.Duration) {
	t.Helper()
	controllertest.Eventually(t, "the controller to wait on the clock", func(context.Context) (bool, error) {
		return clk.HasWaiters(), nil
	})
	clk.Step(d)
}

// TestForbid: one Job per minute, none while one is running; the missed
// run starts once the running Job finishes.
func TestForbid(t *testing.T) {
	s, ctx, clk := start(t)
	cj, err := s.Client.BatchV1().CronJobs("default").Create(ctx, newCronJob("tick", batchv1.ForbidConcurrent), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := anchor(clk, cj)
	waitJobs(ctx, t, s) // nothing due yet
	step(t, clk, time.Minute)
	first := jobName("tick", t0, 1)
	waitJobs(ctx, t, s, first)
	j, _ := s.Client.BatchV1().Jobs("default").Get(ctx, first, metav1.GetOptions{})
	if got, want := j.Annotations[batchv1.CronJobScheduledTimestampAnnotation], t0.Truncate(time.Minute).Add(time.Minute).UTC().Format(time.RFC3339); got != want {
		t.Errorf("scheduled-timestamp %q, want %q", got, want)
	}
	if j.Labels["cron"] != "tick" || metav1.GetControllerOf(j) == nil {
		t.Errorf("job labels %v owners %v", j.Labels, j.OwnerReferences)
	}
	controllertest.Eventually(t, "status to show the active job", func(ctx context.Context) (bool, error) {
		cj, err := s.Client.BatchV1().CronJobs("default").Get(ctx, "tick", metav1.GetOptions{})
		return err == nil && len(cj.Status.Active) == 1 && cj.Status.LastScheduleTime != nil, nil
	})

	waiters := clk.Waiters()
	step(t, clk, time.Minute) // minute 2 is due, but tick-1 still runs
	// Stepping fired the queue's minute-2 timer (one waiter fewer); the
	// sync it woke schedules minute 3 on the clock first thing (one more
	// again), and then would start a Job if it wrongly did.
	controllertest.Eventually(t, "the sync at minute 2", func(context.Context) (bool, error) {
		return clk.Waiters() >= waiters, nil
	})
	finished := complete(ctx, t, s, first, clk.Now())
	second := jobName("tick", t0, 2)
	waitJobs(ctx, t, s, first, second)
	// Forbid held minute 2's run back until tick-1 finished: its Job was
	// created after the completion was written (nothing else writes the
	// Jobs here, so a Job's resourceVersion is its creation's revision).
	j, err = s.Client.BatchV1().Jobs("default").Get(ctx, second, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rv(t, j) <= rv(t, finished) {
		t.Fatalf("Forbid started %s (rv %s) while %s ran (finished at rv %s)", second, j.ResourceVersion, first, finished.ResourceVersion)
	}
	controllertest.Eventually(t, "lastSuccessfulTime to be set", func(ctx context.Context) (bool, error) {
		cj, err := s.Client.BatchV1().CronJobs("default").Get(ctx, "tick", metav1.GetOptions{})
		return err == nil && cj.Status.LastSuccessfulTime != nil, nil
	})
}

// TestHistoryLimit keeps only the newest successful Job.
func TestHistoryLimit(t *testing.T) {
	s, ctx, clk := start(t)
	cj := newCronJob("hist", batchv1.AllowConcurrent)
	cj.Spec.SuccessfulJobsHistoryLimit = new(int32(1))
	cj, err := s.Client.BatchV1().CronJobs("default").Create(ctx, cj, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := anchor(clk, cj)
	for m := 1; m <= 3; m++ {
		step(t, clk, time.Minute)
		name := jobName("hist", t0, m)
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			return slices.Contains(jobNames(ctx, t, s), name), nil
		})
		if err != nil {
			t.Fatalf("job %s never created; jobs %v", name, jobNames(ctx, t, s))
		}
		complete(ctx, t, s, name, clk.Now())
	}
	waitJobs(ctx, t, s, jobName("hist", t0, 3))
}

// TestReplace deletes the running Job when the next run is due.
func TestReplace(t *testing.T) {
	s, ctx, clk := start(t)
	cj, err := s.Client.BatchV1().CronJobs("default").Create(ctx, newCronJob("swap", batchv1.ReplaceConcurrent), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := anchor(clk, cj)
	step(t, clk, time.Minute)
	waitJobs(ctx, t, s, jobName("swap", t0, 1))
	step(t, clk, time.Minute)
	waitJobs(ctx, t, s, jobName("swap", t0, 2))
}
