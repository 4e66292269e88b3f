package node_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
)

// TestSimulatedEphemeralContainer: an ephemeral container added through
// pods/ephemeralcontainers runs on a simulated node and is reported in
// status.ephemeralContainerStatuses (running, not ready, not counted in
// the pod's readiness), as the kubelet reports one.
func TestSimulatedEphemeralContainer(t *testing.T) {
	s := testserver.Start(t, "")
	startControllers(t, s, "nodeipam")
	startAgent(t, s, "eph-", 0, 1, nil)
	ctx := context.Background()
	pods := s.Client.CoreV1().Pods("default")
	pod := testPod("dbg", "eph-0", nil, corev1.RestartPolicyAlways)
	if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.EventuallyWithin(t, "pod Ready", 30*time.Second, func(ctx context.Context) (bool, error) {
		p, err := pods.Get(ctx, "dbg", metav1.GetOptions{})
		return err == nil && podCondition(p, corev1.PodReady) == corev1.ConditionTrue, nil
	})
	p, err := pods.Get(ctx, "dbg", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "debugger", Image: "busybox", Stdin: true, TTY: true}, TargetContainerName: "app"}}
	if _, err := pods.UpdateEphemeralContainers(ctx, "dbg", p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	var got corev1.ContainerStatus
	controllertest.EventuallyWithin(t, "ephemeral container running", 30*time.Second, func(ctx context.Context) (bool, error) {
		p, err := pods.Get(ctx, "dbg", metav1.GetOptions{})
		if err != nil || len(p.Status.EphemeralContainerStatuses) != 1 {
			return false, nil
		}
		got = p.Status.EphemeralContainerStatuses[0]
		return got.State.Running != nil && podCondition(p, corev1.PodReady) == corev1.ConditionTrue, nil
	})
	if got.Name != "debugger" || got.Image != "busybox" || got.ContainerID == "" || got.Ready || got.Started != nil || got.RestartCount != 0 {
		t.Errorf("ephemeral container status: %+v", got)
	}
}
