package framework

import (
	"context"

	corev1 "k8s.io/api/core/v1"
)

// MaxNodeScore is the highest score a Score plugin returns after
// normalizing; MinNodeScore the lowest.
const (
	MaxNodeScore int64 = 100
	MinNodeScore int64 = 0
)

// Plugin is anything with a name.
type Plugin interface {
	Name() string
}

// PreFilterPlugin computes, once per scheduling cycle, what its Filter
// needs (counts over all nodes, parsed selectors) and stores it in the
// CycleState. Returning Skip means the plugin's Filter is not run; a
// rejecting status rejects the pod on every node.
//
// PreFilter may be called again within one cycle with a changed node list
// (preemption removing victims); it must not depend on earlier calls.
type PreFilterPlugin interface {
	Plugin
	PreFilter(ctx context.Context, state *CycleState, pod *corev1.Pod, nodes []*NodeInfo) *Status
}

// FilterPlugin decides whether pod may run on one node. It is called
// for many nodes of one cycle, possibly concurrently, and must only read
// state, pod and node.
type FilterPlugin interface {
	Plugin
	Filter(ctx context.Context, state *CycleState, pod *corev1.Pod, node *NodeInfo) *Status
}

// PreScorePlugin sees the nodes that passed filtering before Score is
// called on each; Skip means its Score is not run.
type PreScorePlugin interface {
	Plugin
	PreScore(ctx context.Context, state *CycleState, pod *corev1.Pod, feasible, all []*NodeInfo) *Status
}

// ScorePlugin ranks a feasible node; higher is better. Plugins that do
// not implement ScoreNormalizer must return 0..MaxNodeScore.
type ScorePlugin interface {
	Plugin
	Score(ctx context.Context, state *CycleState, pod *corev1.Pod, node *NodeInfo) (int64, *Status)
}

// ScoreNormalizer rescales a ScorePlugin's raw scores, in place, to
// 0..MaxNodeScore; scores[i] belongs to nodes[i].
type ScoreNormalizer interface {
	NormalizeScore(ctx context.Context, state *CycleState, pod *corev1.Pod, nodes []*NodeInfo, scores []int64) *Status
}

// WeightedScore is a score plugin with the weight its normalized score is
// multiplied by before the plugins' scores are summed.
type WeightedScore struct {
	ScorePlugin
	Weight int64
}

// Profile is the set of plugins one scheduler runs, in order.
type Profile struct {
	PreFilter []PreFilterPlugin
	Filter    []FilterPlugin
	PreScore  []PreScorePlugin
	Score     []WeightedScore
}

// DefaultNormalizeScore scales scores to 0..maxPriority by the highest
// score; with reverse the highest raw score becomes the lowest.
func DefaultNormalizeScore(maxPriority int64, reverse bool, scores []int64) {
	var highest int64
	for _, s := range scores {
		highest = max(highest, s)
	}
	if highest == 0 {
		if reverse {
			for i := range scores {
				scores[i] = maxPriority
			}
		}
		return
	}
	for i, s := range scores {
		s = maxPriority * s / highest
		if reverse {
			s = maxPriority - s
		}
		scores[i] = s
	}
}
