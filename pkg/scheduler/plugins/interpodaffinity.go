package plugins

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	"github.com/tinykube/tinykube/pkg/scheduler/framework"
)

// InterPodAffinity enforces required pod affinity and anti-affinity (the
// incoming pod's, and existing pods' anti-affinity against it), and
// scores nodes by preferred terms in both directions.
type InterPodAffinity struct {
	// NamespaceLabels resolves namespaceSelectors; nil means namespaces
	// have no labels.
	NamespaceLabels framework.NamespaceLabels
}

var (
	_ framework.PreFilterPlugin = InterPodAffinity{}
	_ framework.FilterPlugin    = InterPodAffinity{}
	_ framework.PreScorePlugin  = InterPodAffinity{}
	_ framework.ScorePlugin     = InterPodAffinity{}
	_ framework.ScoreNormalizer = InterPodAffinity{}
)

const (
	affinityFilterKey = "InterPodAffinity/filter"
	affinityScoreKey  = "InterPodAffinity/score"
	// hardAffinityWeight is what an existing pod's required affinity
	// to the incoming pod counts for when scoring (upstream's default).
	hardAffinityWeight = 1
)

func (InterPodAffinity) Name() string { return "InterPodAffinity" }

// topologyPair is one topology domain: a node label key and value.
type topologyPair struct{ key, value string }

// affinityCounts is PreFilter's result: matching pods per domain.
type affinityCounts struct {
	// existingAnti: domains where an existing pod's required
	// anti-affinity selects the incoming pod.
	existingAnti map[topologyPair]int64
	// affinity: domains with pods matching all the incoming pod's
	// required affinity terms; anti: with pods matching any of its
	// anti-affinity terms.
	affinity, anti map[topologyPair]int64
}

func (pl InterPodAffinity) PreFilter(_ context.Context, state *framework.CycleState, pod *corev1.Pod, nodes []*framework.NodeInfo) *framework.Status {
	pi := podInfo(state, pod)
	s := &affinityCounts{existingAnti: map[topologyPair]int64{}, affinity: map[topologyPair]int64{}, anti: map[topologyPair]int64{}}
	for _, n := range nodes {
		for _, ep := range n.PodsWithRequiredAntiAffinity {
			for i := range ep.RequiredAntiAffinity {
				t := &ep.RequiredAntiAffinity[i]
				if v, ok := n.Node.Labels[t.TopologyKey]; ok && t.Matches(pod, pl.NamespaceLabels) {
					s.existingAnti[topologyPair{t.TopologyKey, v}]++
				}
			}
		}
	}
	if len(s.existingAnti) == 0 && len(pi.RequiredAffinity) == 0 && len(pi.RequiredAntiAffinity) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	if len(pi.RequiredAffinity)+len(pi.RequiredAntiAffinity) > 0 {
		for _, n := range nodes {
			for _, ep := range n.Pods {
				if matchesAll(pi.RequiredAffinity, ep.Pod, pl.NamespaceLabels) {
					for _, t := range pi.RequiredAffinity {
						if v, ok := n.Node.Labels[t.TopologyKey]; ok {
							s.affinity[topologyPair{t.TopologyKey, v}]++
						}
					}
				}
				for i := range pi.RequiredAntiAffinity {
					t := &pi.RequiredAntiAffinity[i]
					if v, ok := n.Node.Labels[t.TopologyKey]; ok && t.Matches(ep.Pod, pl.NamespaceLabels) {
						s.anti[topologyPair{t.TopologyKey, v}]++
					}
				}
			}
		}
	}
	state.Write(affinityFilterKey, s)
	return nil
}

func matchesAll(terms []framework.AffinityTerm, pod *corev1.Pod, ns framework.NamespaceLabels) bool {
	if len(terms) == 0 {
		return false
	}
	for i := range terms {
		if !terms[i].Matches(pod, ns) {
			return false
		}
	}
	return true
}

func (pl InterPodAffinity) Filter(_ context.Context, state *framework.CycleState, pod *corev1.Pod, n *framework.NodeInfo) *framework.Status {
	s, ok := framework.Read[*affinityCounts](state, affinityFilterKey)
	if !ok {
		return nil
	}
	pi := podInfo(state, pod)
	labels := n.Node.Labels
	if len(pi.RequiredAffinity) > 0 {
		satisfied := true
		for _, t := range pi.RequiredAffinity {
			v, ok := labels[t.TopologyKey]
			if !ok || s.affinity[topologyPair{t.TopologyKey, v}] <= 0 {
				satisfied = false
				break
			}
		}
		// The first pod of a group that selects itself may go anywhere
		// its topology keys exist.
		if !satisfied && len(s.affinity) == 0 && matchesAll(pi.RequiredAffinity, pod, pl.NamespaceLabels) {
			satisfied = true
			for _, t := range pi.RequiredAffinity {
				if _, ok := labels[t.TopologyKey]; !ok {
					satisfied = false
				}
			}
		}
		if !satisfied {
			return framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) didn't match pod affinity rules")
		}
	}
	for _, t := range pi.RequiredAntiAffinity {
		if v, ok := labels[t.TopologyKey]; ok && s.anti[topologyPair{t.TopologyKey, v}] > 0 {
			return framework.NewStatus(framework.Unschedulable, "node(s) didn't match pod anti-affinity rules")
		}
	}
	for tp, k := range s.existingAnti {
		if v, ok := labels[tp.key]; ok && v == tp.value && k > 0 {
			return framework.NewStatus(framework.Unschedulable, "node(s) didn't satisfy existing pods anti-affinity rules")
		}
	}
	return nil
}

// PreScore sums, per topology domain, the weights of preferred terms in
// both directions: the incoming pod's terms matching existing pods, and
// existing pods' terms (preferred, and required with weight 1 for
// affinity) matching the incoming pod.
func (pl InterPodAffinity) PreScore(_ context.Context, state *framework.CycleState, pod *corev1.Pod, _, all []*framework.NodeInfo) *framework.Status {
	pi := podInfo(state, pod)
	incoming := len(pi.PreferredAffinity)+len(pi.PreferredAntiAffinity) > 0
	scores := map[topologyPair]int64{}
	add := func(t *framework.AffinityTerm, node *corev1.Node, target *corev1.Pod, w int64) {
		if v, ok := node.Labels[t.TopologyKey]; ok && w != 0 && t.Matches(target, pl.NamespaceLabels) {
			scores[topologyPair{t.TopologyKey, v}] += w
		}
	}
	for _, n := range all {
		pods := n.PodsWithAffinity
		if incoming {
			pods = n.Pods
		}
		for _, ep := range pods {
			for i := range pi.PreferredAffinity {
				add(&pi.PreferredAffinity[i].AffinityTerm, n.Node, ep.Pod, int64(pi.PreferredAffinity[i].Weight))
			}
			for i := range pi.PreferredAntiAffinity {
				add(&pi.PreferredAntiAffinity[i].AffinityTerm, n.Node, ep.Pod, -int64(pi.PreferredAntiAffinity[i].Weight))
			}
			for i := range ep.RequiredAffinity {
				add(&ep.RequiredAffinity[i], n.Node, pod, hardAffinityWeight)
			}
			for i := range ep.PreferredAffinity {
				add(&ep.PreferredAffinity[i].AffinityTerm, n.Node, pod, int64(ep.PreferredAffinity[i].Weight))
			}
			for i := range ep.PreferredAntiAffinity {
				add(&ep.PreferredAntiAffinity[i].AffinityTerm, n.Node, pod, -int64(ep.PreferredAntiAffinity[i].Weight))
			}
		}
	}
	if len(scores) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	state.Write(affinityScoreKey, scores)
	return nil
}

func (InterPodAffinity) Score(_ context.Context, state *framework.CycleState, _ *corev1.Pod, n *framework.NodeInfo) (int64, *framework.Status) {
	scores, _ := framework.Read[map[topologyPair]int64](state, affinityScoreKey)
	var s int64
	for tp, w := range scores {
		if v, ok := n.Node.Labels[tp.key]; ok && v == tp.value {
			s += w
		}
	}
	return s, nil
}

// NormalizeScore maps the lowest score to 0 and the highest to 100.
func (InterPodAffinity) NormalizeScore(_ context.Context, _ *framework.CycleState, _ *corev1.Pod, _ []*framework.NodeInfo, scores []int64) *framework.Status {
	if len(scores) == 0 {
		return nil
	}
	lo, hi := scores[0], scores[0]
	for _, s := range scores {
		lo, hi = min(lo, s), max(hi, s)
	}
	for i, s := range scores {
		if hi == lo {
			scores[i] = 0
		} else {
			scores[i] = framework.MaxNodeScore * (s - lo) / (hi - lo)
		}
	}
	return nil
}
