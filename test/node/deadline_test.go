package node

import (
	"context"
	"os"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/nodetest"
	"github.com/tinykube/tinykube/pkg/node"
)

// TestRealActiveDeadline: a real pod running longer than its
// activeDeadlineSeconds is Failed with reason DeadlineExceeded and the
// kubelet's message, its process is killed (SIGTERM, then SIGKILL after
// the grace period) and a DeadlineExceeded event is recorded.
func TestRealActiveDeadline(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	p := busyboxPod(n, "deadline", img, "exec sleep 3600")
	p.Spec.RestartPolicy = corev1.RestartPolicyAlways
	p.Spec.ActiveDeadlineSeconds = ptr.To[int64](3)
	p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1)
	if _, err := n.Client.CoreV1().Pods("default").Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, n, "deadline", "Running", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodRunning || p.Status.Phase == corev1.PodFailed
	})
	pid := 0
	if pod.Status.Phase == corev1.PodRunning {
		pid = containerProcess(t, n, pod.Status.ContainerStatuses[0].ContainerID)
	}
	// Failed, and finished on the node: its sandbox stopped, its IP
	// freed (the status the node reports then keeps the reason).
	pod = waitPod(t, n, "deadline", "Failed, its IP freed", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodFailed && p.Status.PodIP == ""
	})
	if pod.Status.Reason != node.ReasonDeadlineExceeded || pod.Status.Message != "Pod was active on the node longer than the specified deadline" {
		t.Errorf("reason %q message %q", pod.Status.Reason, pod.Status.Message)
	}
	// A container that ran ends Terminated; one the deadline caught
	// before it started (a loaded machine) stays Waiting, as upstream's
	// kubelet reports a container that never ran.
	if cs := pod.Status.ContainerStatuses; len(cs) != 1 || cs[0].RestartCount != 0 ||
		pid != 0 && cs[0].State.Terminated == nil || pid == 0 && cs[0].State.Terminated == nil && cs[0].State.Waiting == nil {
		t.Errorf("container status (it ran: %v) %+v", pid != 0, cs)
	}
	if pid != 0 {
		controllertest.Eventually(t, "container process gone", func(context.Context) (bool, error) {
			_, err := os.Stat("/proc/" + strconv.Itoa(pid))
			return err != nil, nil
		})
	}
	waitEvents(t, n, "deadline", "Normal DeadlineExceeded Pod was active on the node longer than the specified deadline")
}
