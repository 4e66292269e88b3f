package node

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/nodetest"
)

func nodeCondition(n *corev1.Node, t corev1.NodeConditionType) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == t {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

// TestRealNodeNoPressure: with the kubelet's default thresholds this
// machine's node reports no memory, disk or PID pressure, with the
// kubelet's reasons.
func TestRealNodeNoPressure(t *testing.T) {
	n := nodetest.StartNode(t)
	nd, err := n.Client.CoreV1().Nodes().Get(context.Background(), n.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		t      corev1.NodeConditionType
		reason string
	}{
		{corev1.NodeMemoryPressure, "KubeletHasSufficientMemory"},
		{corev1.NodeDiskPressure, "KubeletHasNoDiskPressure"},
		{corev1.NodePIDPressure, "KubeletHasSufficientPID"},
	} {
		c := nodeCondition(nd, want.t)
		if c == nil || c.Status != corev1.ConditionFalse || c.Reason != want.reason {
			t.Errorf("%s: %+v, want False/%s", want.t, c, want.reason)
		}
	}
}

// TestRealNodeMemoryPressure: `tinykube server --node --eviction-hard
// memory.available<1000Ti` (a threshold no machine is under) reports
// MemoryPressure True with the kubelet's reason, keeps the disk
// defaults (no DiskPressure), and the node lifecycle controller taints
// the node node.kubernetes.io/memory-pressure:NoSchedule.
func TestRealNodeMemoryPressure(t *testing.T) {
	s := nodetest.StartServerNode(t, "pressure", "--eviction-hard", "memory.available<1000Ti")
	controllertest.EventuallyWithin(t, "MemoryPressure True and the memory-pressure taint", time.Minute, func(ctx context.Context) (bool, error) {
		nd, err := s.Client.CoreV1().Nodes().Get(ctx, s.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		c := nodeCondition(nd, corev1.NodeMemoryPressure)
		if c == nil || c.Status != corev1.ConditionTrue {
			return false, nil
		}
		if c.Reason != "KubeletHasInsufficientMemory" || c.Message != "kubelet has insufficient memory available" {
			t.Fatalf("MemoryPressure %+v", c)
		}
		if d := nodeCondition(nd, corev1.NodeDiskPressure); d == nil || d.Status != corev1.ConditionFalse {
			t.Fatalf("DiskPressure %+v", d)
		}
		for _, taint := range nd.Spec.Taints {
			if taint.Key == corev1.TaintNodeMemoryPressure && taint.Effect == corev1.TaintEffectNoSchedule {
				return true, nil
			}
		}
		return false, nil
	})
	// The kubelet's event on the Node.
	controllertest.EventuallyWithin(t, "a NodeHasInsufficientMemory event", time.Minute, func(ctx context.Context) (bool, error) {
		evs, err := s.Client.CoreV1().Events("default").List(ctx, metav1.ListOptions{
			FieldSelector: fields.OneTermEqualSelector("involvedObject.name", s.Name).String()})
		if err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			if e.InvolvedObject.Kind == "Node" && e.Reason == "NodeHasInsufficientMemory" && e.Type == corev1.EventTypeNormal &&
				e.Message == "Node "+s.Name+" status is now: NodeHasInsufficientMemory" {
				return true, nil
			}
		}
		return false, nil
	})
}
