package plugins

import (
	"context"
	"math"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/tinykube/tinykube/pkg/scheduler/framework"
)

// NodeResourcesFit rejects nodes without room for the pod's requests (or
// for one more pod), and scores nodes by how much CPU and memory stay
// free (least allocated).
type NodeResourcesFit struct{}

var (
	_ framework.FilterPlugin = NodeResourcesFit{}
	_ framework.ScorePlugin  = NodeResourcesFit{}
)

func (NodeResourcesFit) Name() string { return "NodeResourcesFit" }

// Filter: the pod fails with one reason per short resource. A request
// larger than the node's whole allocatable is unresolvable (no
// preemption helps); otherwise preemption may free room.
func (NodeResourcesFit) Filter(_ context.Context, state *framework.CycleState, pod *corev1.Pod, n *framework.NodeInfo) *framework.Status {
	req := podInfo(state, pod).Requests
	var reasons []string
	code := framework.Unschedulable
	if int64(len(n.Pods))+1 > n.Allocatable.AllowedPods {
		reasons = append(reasons, "Too many pods")
	}
	check := func(name string, want, alloc, used int64) {
		if want > 0 && want > alloc-used {
			reasons = append(reasons, "Insufficient "+name)
			if want > alloc {
				code = framework.UnschedulableAndUnresolvable
			}
		}
	}
	check("cpu", req.MilliCPU, n.Allocatable.MilliCPU, n.Requested.MilliCPU)
	check("memory", req.Memory, n.Allocatable.Memory, n.Requested.Memory)
	check("ephemeral-storage", req.EphemeralStorage, n.Allocatable.EphemeralStorage, n.Requested.EphemeralStorage)
	names := make([]string, 0, len(req.Scalar))
	for name := range req.Scalar {
		names = append(names, string(name))
	}
	sort.Strings(names)
	for _, name := range names {
		rn := corev1.ResourceName(name)
		check(name, req.Scalar[rn], n.Allocatable.Scalar[rn], n.Requested.Scalar[rn])
	}
	if len(reasons) == 0 {
		return nil
	}
	return framework.NewStatus(code, reasons...)
}

// Score is the least-allocated strategy over CPU and memory, weight 1
// each: the share of allocatable left free after placing the pod.
func (NodeResourcesFit) Score(_ context.Context, state *framework.CycleState, pod *corev1.Pod, n *framework.NodeInfo) (int64, *framework.Status) {
	req := podInfo(state, pod).NonZero
	free := func(alloc, used int64) int64 {
		if alloc == 0 || used > alloc {
			return 0
		}
		return (alloc - used) * framework.MaxNodeScore / alloc
	}
	cpu := free(n.Allocatable.MilliCPU, n.NonZeroRequested.MilliCPU+req.MilliCPU)
	mem := free(n.Allocatable.Memory, n.NonZeroRequested.Memory+req.Memory)
	return (cpu + mem) / 2, nil
}

// BalancedAllocation favours nodes whose CPU and memory would be used in
// equal shares after placing the pod.
type BalancedAllocation struct{}

var _ framework.ScorePlugin = BalancedAllocation{}

func (BalancedAllocation) Name() string { return "NodeResourcesBalancedAllocation" }

// Score is 0 everywhere for a pod that requests neither CPU nor memory.
func (BalancedAllocation) Score(_ context.Context, state *framework.CycleState, pod *corev1.Pod, n *framework.NodeInfo) (int64, *framework.Status) {
	req := podInfo(state, pod).Requests
	if req.MilliCPU == 0 && req.Memory == 0 {
		return 0, nil
	}
	share := func(alloc, used int64) float64 {
		if alloc == 0 {
			return 0
		}
		return math.Min(1, float64(used)/float64(alloc))
	}
	cpu := share(n.Allocatable.MilliCPU, n.Requested.MilliCPU+req.MilliCPU)
	mem := share(n.Allocatable.Memory, n.Requested.Memory+req.Memory)
	// With two resources the standard deviation is half the difference.
	std := math.Abs(cpu-mem) / 2
	return int64((1 - std) * float64(framework.MaxNodeScore)), nil
}

// podInfo returns the parsed pod of the cycle, or parses pod.
func podInfo(state *framework.CycleState, pod *corev1.Pod) *framework.PodInfo {
	if state != nil && state.PodInfo != nil && state.PodInfo.Pod.UID == pod.UID {
		return state.PodInfo
	}
	return framework.NewPodInfo(pod)
}
