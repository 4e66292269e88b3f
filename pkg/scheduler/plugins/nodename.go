package plugins

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	"github.com/tinykube/tinykube/pkg/scheduler/framework"
)

// NodeName rejects nodes other than the one spec.nodeName names.
type NodeName struct{}

var _ framework.FilterPlugin = NodeName{}

func (NodeName) Name() string { return "NodeName" }

func (NodeName) Filter(_ context.Context, _ *framework.CycleState, pod *corev1.Pod, n *framework.NodeInfo) *framework.Status {
	if pod.Spec.NodeName != "" && pod.Spec.NodeName != n.Name() {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) didn't match the requested node name")
	}
	return nil
}
