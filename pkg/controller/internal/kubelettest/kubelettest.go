package kubelettest

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// Run reports the pod Running with every container started and Ready.
func Run(ctx context.Context, c kubernetes.Interface, ns, name string) error {
	return setStatus(ctx, c, ns, name, func(p *corev1.Pod, now metav1.Time) {
		p.Status.Phase = corev1.PodRunning
		p.Status.PodIP, p.Status.PodIPs = "10.244.0.10", []corev1.PodIP{{IP: "10.244.0.10"}}
		p.Status.ContainerStatuses = nil
		for _, ctr := range p.Spec.Containers {
			p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
				Name: ctr.Name, Image: ctr.Image, Ready: true, Started: new(true),
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
			})
		}
		p.Status.Conditions = []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		}
	})
}

// Unready reports the running pod's readiness failing: containers and
// pod not Ready, as a failing readiness probe makes them.
func Unready(ctx context.Context, c kubernetes.Interface, ns, name string) error {
	return setStatus(ctx, c, ns, name, func(p *corev1.Pod, now metav1.Time) {
		for i := range p.Status.ContainerStatuses {
			p.Status.ContainerStatuses[i].Ready = false
		}
		for i, cond := range p.Status.Conditions {
			if cond.Type == corev1.ContainersReady || cond.Type == corev1.PodReady {
				p.Status.Conditions[i].Status, p.Status.Conditions[i].Reason, p.Status.Conditions[i].LastTransitionTime =
					corev1.ConditionFalse, "ContainersNotReady", now
			}
		}
	})
}

// Exit reports every container terminated with code: the pod Succeeded
// for 0, Failed otherwise.
func Exit(ctx context.Context, c kubernetes.Interface, ns, name string, code int32) error {
	return setStatus(ctx, c, ns, name, func(p *corev1.Pod, now metav1.Time) {
		p.Status.Phase = corev1.PodSucceeded
		reason := "Completed"
		if code != 0 {
			p.Status.Phase, reason = corev1.PodFailed, "Error"
		}
		p.Status.ContainerStatuses = nil
		for _, ctr := range p.Spec.Containers {
			p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
				Name: ctr.Name, Image: ctr.Image,
				State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
					ExitCode: code, Reason: reason, StartedAt: now, FinishedAt: now}},
			})
		}
		p.Status.Conditions = []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "PodCompleted", LastTransitionTime: now},
		}
	})
}

func setStatus(ctx context.Context, c kubernetes.Interface, ns, name string, mutate func(*corev1.Pod, metav1.Time)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		p, err := c.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		now := metav1.Time{Time: time.Now().Truncate(time.Second)}
		if p.Status.StartTime == nil {
			p.Status.StartTime = &now
		}
		mutate(p, now)
		_, err = c.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		return err
	})
}
