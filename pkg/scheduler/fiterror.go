package scheduler

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/tinykube/tinykube/pkg/scheduler/framework"
)

// ErrNoNodesAvailable: the cluster has no nodes at all.
var ErrNoNodesAvailable = errors.New("no nodes available to schedule pods")

// FitError says why a pod fits no node, worded as upstream's so that
// users and tests see the same text: "0/3 nodes are available: 3
// Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption
// victims found for incoming pod."
type FitError struct {
	Pod         *corev1.Pod
	NumAllNodes int
	// PreFilterMsg is set when a PreFilter rejected the pod everywhere.
	PreFilterMsg string
	// Statuses holds each rejected node's status; AbsentReason counts
	// for every node without one.
	Statuses     map[string]*framework.Status
	AbsentReason string
	// PostFilterMsg is preemption's outcome, appended as is.
	PostFilterMsg string
}

func (f *FitError) Error() string {
	msg := fmt.Sprintf("0/%d nodes are available:", f.NumAllNodes)
	if f.PreFilterMsg != "" {
		msg += " " + f.PreFilterMsg + "."
	} else {
		counts := map[string]int{}
		for _, st := range f.Statuses {
			for _, r := range st.Reasons() {
				counts[r]++
			}
		}
		if f.AbsentReason != "" && len(f.Statuses) < f.NumAllNodes {
			counts[f.AbsentReason] += f.NumAllNodes - len(f.Statuses)
		}
		parts := make([]string, 0, len(counts))
		for r, n := range counts {
			parts = append(parts, fmt.Sprintf("%d %s", n, r))
		}
		sort.Strings(parts)
		if len(parts) > 0 {
			msg += " " + strings.Join(parts, ", ") + "."
		}
	}
	if f.PostFilterMsg != "" {
		msg += " " + f.PostFilterMsg
	}
	return msg
}

// rejectors lists the plugins that rejected the pod somewhere.
func (f *FitError) rejectors() []string {
	seen := map[string]bool{}
	var out []string
	for _, st := range f.Statuses {
		if p := st.Plugin(); p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
