package node_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/node"
)

// TestActiveDeadlineSimulated: a simulated pod active longer than its
// activeDeadlineSeconds is Failed with the kubelet's reason and message,
// its containers stopped; a pod without one keeps running.
func TestActiveDeadlineSimulated(t *testing.T) {
	s := testserver.Start(t, "")
	startControllers(t, s, "nodeipam")
	startAgent(t, s, "dl-", 0, 1, nil)
	ctx := context.Background()
	pods := s.Client.CoreV1().Pods("default")
	p := testPod("deadline", "dl-0", nil, corev1.RestartPolicyAlways)
	p.Spec.ActiveDeadlineSeconds = ptr.To[int64](2)
	if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pods.Create(ctx, testPod("forever", "dl-0", nil, corev1.RestartPolicyAlways), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.EventuallyWithin(t, "pod Failed with DeadlineExceeded", 30*time.Second, func(ctx context.Context) (bool, error) {
		var err error
		p, err = pods.Get(ctx, "deadline", metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodFailed, nil
	})
	if p.Status.Reason != node.ReasonDeadlineExceeded || p.Status.Message != node.MessageDeadlineExceeded {
		t.Errorf("reason %q message %q", p.Status.Reason, p.Status.Message)
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Terminated == nil {
			t.Errorf("container %s not terminated: %+v", cs.Name, cs.State)
		}
	}
	controllertest.EventuallyWithin(t, "pod without a deadline Running", 30*time.Second, func(ctx context.Context) (bool, error) {
		f, err := pods.Get(ctx, "forever", metav1.GetOptions{})
		return err == nil && f.Status.Phase == corev1.PodRunning, nil
	})
}
