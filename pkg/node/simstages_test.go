package node_test

import (
	"context"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/node"
)

func simJob(name string, policy corev1.RestartPolicy, annotations map[string]string) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: batchv1.JobSpec{
			Parallelism: ptr.To[int32](2), Completions: ptr.To[int32](3), BackoffLimit: ptr.To[int32](0),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Annotations: annotations},
				Spec: corev1.PodSpec{
					NodeName: "sim-0", RestartPolicy: policy,
					// A command that would fail: simulated Job pods
					// complete whatever their command says, as on kwok.
					Containers: []corev1.Container{{Name: "c", Image: "busybox", Command: []string{"sh", "-c", "exit 1"}}},
				},
			},
		},
	}
}

func jobCondition(j *batchv1.Job, t batchv1.JobConditionType) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// TestSimulatedJobPodsComplete: on simulated nodes a Job's pods run, then
// complete with exit code 0 and reason Completed (kwok's pod-complete
// stage), so the Job reaches Complete; the exit-after annotations still
// override that.
func TestSimulatedJobPodsComplete(t *testing.T) {
	s := testserver.Start(t, "")
	startControllers(t, s, "nodeipam", "job")
	startAgent(t, s, "sim-", 0, 1, nil)
	ctx := context.Background()
	jobs := s.Client.BatchV1().Jobs("default")

	for _, policy := range []corev1.RestartPolicy{corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever} {
		name := map[corev1.RestartPolicy]string{corev1.RestartPolicyOnFailure: "on-failure", corev1.RestartPolicyNever: "never"}[policy]
		if _, err := jobs.Create(ctx, simJob(name, policy, nil), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		controllertest.EventuallyWithin(t, name+" Complete", 60*time.Second, func(ctx context.Context) (bool, error) {
			j, err := jobs.Get(ctx, name, metav1.GetOptions{})
			return err == nil && jobCondition(j, batchv1.JobComplete) && j.Status.Succeeded == 3, nil
		})
		pods, err := s.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + name})
		if err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) != 3 {
			t.Fatalf("%s: %d pods, want 3", name, len(pods.Items))
		}
		for _, p := range pods.Items {
			if p.Status.Phase != corev1.PodSucceeded || len(p.Status.ContainerStatuses) != 1 {
				t.Fatalf("pod %s: phase %s, %d container statuses", p.Name, p.Status.Phase, len(p.Status.ContainerStatuses))
			}
			cs := p.Status.ContainerStatuses[0]
			term := cs.State.Terminated
			if term == nil || term.ExitCode != 0 || term.Reason != "Completed" || cs.RestartCount != 0 || term.StartedAt.IsZero() {
				t.Errorf("pod %s container status %+v", p.Name, cs)
			}
		}
	}

	// The annotations override the stage: this Job's pod fails.
	fail := simJob("override", corev1.RestartPolicyNever, map[string]string{node.AnnotationExitAfter: "200ms", node.AnnotationExitCode: "3"})
	if _, err := jobs.Create(ctx, fail, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.EventuallyWithin(t, "override Failed", 60*time.Second, func(ctx context.Context) (bool, error) {
		j, err := jobs.Get(ctx, "override", metav1.GetOptions{})
		return err == nil && jobCondition(j, batchv1.JobFailed), nil
	})

	// A pod with no Job owner keeps running.
	p, err := s.Client.CoreV1().Pods("default").Create(ctx, testPod("lone", "sim-0", nil, corev1.RestartPolicyNever), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	controllertest.EventuallyWithin(t, "lone pod Running", 30*time.Second, func(ctx context.Context) (bool, error) {
		p, err = s.Client.CoreV1().Pods("default").Get(ctx, "lone", metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodRunning, nil
	})
}
