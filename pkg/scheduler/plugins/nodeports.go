package plugins

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	"github.com/tinykube/tinykube/pkg/scheduler/framework"
)

// NodePorts rejects nodes where a host port the pod asks for is taken.
type NodePorts struct{}

var _ framework.FilterPlugin = NodePorts{}

func (NodePorts) Name() string { return "NodePorts" }

func (NodePorts) Filter(_ context.Context, _ *framework.CycleState, pod *corev1.Pod, n *framework.NodeInfo) *framework.Status {
	for _, p := range framework.PodHostPorts(pod) {
		if n.UsedPorts.Conflicts(p.HostIP, framework.ProtocolPort{Protocol: p.Protocol, Port: p.HostPort}) {
			return framework.NewStatus(framework.Unschedulable, "node(s) didn't have free ports for the requested pod ports")
		}
	}
	return nil
}
