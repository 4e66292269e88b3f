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

// TestAdmitHostPorts: a pod created onto a node (spec.nodeName, no
// scheduler) whose host port another running pod there already holds is
// rejected — Failed, reason NodePorts — as a kubelet does; pods that do
// not conflict run.
func TestAdmitHostPorts(t *testing.T) {
	s := testserver.Start(t, "")
	startControllers(t, s, "nodeipam")
	startAgent(t, s, "adm-", 0, 2, nil)
	ctx := context.Background()
	pods := s.Client.CoreV1().Pods("default")

	withPort := func(name, node string, proto corev1.Protocol, ip string, port int32) *corev1.Pod {
		p := testPod(name, node, nil, corev1.RestartPolicyAlways)
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: port, Protocol: proto, HostIP: ip}}
		return p
	}
	waitPhase := func(t *testing.T, name string, want corev1.PodPhase) *corev1.Pod {
		t.Helper()
		var p *corev1.Pod
		controllertest.EventuallyWithin(t, name+" "+string(want), 30*time.Second, func(ctx context.Context) (bool, error) {
			var err error
			p, err = pods.Get(ctx, name, metav1.GetOptions{})
			return err == nil && p.Status.Phase == want, nil
		})
		return p
	}
	if _, err := pods.Create(ctx, withPort("holder", "adm-0", corev1.ProtocolTCP, "", 21017), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, "holder", corev1.PodRunning)

	for _, tc := range []struct {
		name  string
		pod   *corev1.Pod
		phase corev1.PodPhase
	}{
		{"same-port", withPort("same-port", "adm-0", corev1.ProtocolTCP, "", 21017), corev1.PodFailed},
		{"specific-ip", withPort("specific-ip", "adm-0", corev1.ProtocolTCP, "127.0.0.1", 21017), corev1.PodFailed},
		{"other-protocol", withPort("other-protocol", "adm-0", corev1.ProtocolUDP, "", 21017), corev1.PodRunning},
		{"other-port", withPort("other-port", "adm-0", corev1.ProtocolTCP, "", 21018), corev1.PodRunning},
		{"other-node", withPort("other-node", "adm-1", corev1.ProtocolTCP, "", 21017), corev1.PodRunning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := pods.Create(ctx, tc.pod, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			p := waitPhase(t, tc.name, tc.phase)
			if tc.phase == corev1.PodFailed && (p.Status.Reason != "NodePorts" || len(p.Status.ContainerStatuses) != 0) {
				t.Errorf("rejected pod: reason %q, %d container statuses", p.Status.Reason, len(p.Status.ContainerStatuses))
			}
		})
	}

	// Once the holder is gone, a new pod may take the port.
	if err := pods.Delete(ctx, "holder", *metav1.NewDeleteOptions(0)); err != nil {
		t.Fatal(err)
	}
	controllertest.EventuallyWithin(t, "holder gone", 30*time.Second, func(ctx context.Context) (bool, error) {
		_, err := pods.Get(ctx, "holder", metav1.GetOptions{})
		return err != nil, nil
	})
	if _, err := pods.Create(ctx, withPort("after", "adm-0", corev1.ProtocolTCP, "", 21017), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, "after", corev1.PodRunning)
}
