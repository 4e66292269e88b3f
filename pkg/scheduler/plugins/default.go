package plugins

import "github.com/tinykube/tinykube/pkg/scheduler/framework"

// Default returns the default profile: the plugins in upstream's order,
// with upstream's default score weights (TaintToleration 3,
// NodeAffinity 2, PodTopologySpread 2, InterPodAffinity 2,
// NodeResourcesFit 1, NodeResourcesBalancedAllocation 1). nsLabels
// resolves namespaceSelectors of pod affinity terms.
func Default(nsLabels framework.NamespaceLabels) framework.Profile {
	var (
		nodeName      = NodeName{}
		unschedulable = NodeUnschedulable{}
		taints        = TaintToleration{}
		affinity      = NodeAffinity{}
		ports         = NodePorts{}
		fit           = NodeResourcesFit{}
		balanced      = BalancedAllocation{}
		spread        = PodTopologySpread{}
		interPod      = InterPodAffinity{NamespaceLabels: nsLabels}
	)
	return framework.Profile{
		PreFilter: []framework.PreFilterPlugin{spread, interPod},
		Filter:    []framework.FilterPlugin{nodeName, unschedulable, taints, affinity, ports, fit, spread, interPod},
		PreScore:  []framework.PreScorePlugin{spread, interPod},
		Score: []framework.WeightedScore{
			{ScorePlugin: taints, Weight: 3},
			{ScorePlugin: affinity, Weight: 2},
			{ScorePlugin: fit, Weight: 1},
			{ScorePlugin: spread, Weight: 2},
			{ScorePlugin: interPod, Weight: 2},
			{ScorePlugin: balanced, Weight: 1},
		},
	}
}
