package plugins

import (
	"context"
	"math"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/tinykube/tinykube/pkg/scheduler/framework"
)

// PodTopologySpread enforces DoNotSchedule topology spread constraints
// (a node is rejected if placing the pod there would make its domain
// exceed maxSkew over the least-loaded domain) and scores nodes by
// ScheduleAnyway constraints (fewer matching pods in the node's domain
// scores higher).
type PodTopologySpread struct{}

var (
	_ framework.PreFilterPlugin = PodTopologySpread{}
	_ framework.FilterPlugin    = PodTopologySpread{}
	_ framework.PreScorePlugin  = PodTopologySpread{}
	_ framework.ScorePlugin     = PodTopologySpread{}
	_ framework.ScoreNormalizer = PodTopologySpread{}
)

const (
	spreadFilterKey = "PodTopologySpread/filter"
	spreadScoreKey  = "PodTopologySpread/score"
)

func (PodTopologySpread) Name() string { return "PodTopologySpread" }

// constraint is a parsed TopologySpreadConstraint.
type constraint struct {
	maxSkew      int32
	key          string
	selector     labels.Selector
	minDomains   int32
	honorAffnity bool
	honorTaints  bool
}

// spreadCounts is what PreFilter/PreScore compute: per constraint, the
// matching pods per topology value.
type spreadCounts struct {
	constraints []constraint
	counts      []map[string]int64
	// min per constraint (filter only).
	min []int64
	// weight per constraint and nodes without the keys (score only).
	weight  []float64
	ignored map[string]bool
}

func parseConstraints(pod *corev1.Pod, when corev1.UnsatisfiableConstraintAction) []constraint {
	var out []constraint
	for _, c := range pod.Spec.TopologySpreadConstraints {
		if c.WhenUnsatisfiable != when {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
		if err != nil {
			continue
		}
		for _, k := range c.MatchLabelKeys {
			if v, ok := pod.Labels[k]; ok {
				if r, err := labels.NewRequirement(k, "in", []string{v}); err == nil {
					sel = sel.Add(*r)
				}
			}
		}
		pc := constraint{maxSkew: c.MaxSkew, key: c.TopologyKey, selector: sel, minDomains: 1,
			honorAffnity: c.NodeAffinityPolicy == nil || *c.NodeAffinityPolicy == corev1.NodeInclusionPolicyHonor,
			honorTaints:  c.NodeTaintsPolicy != nil && *c.NodeTaintsPolicy == corev1.NodeInclusionPolicyHonor}
		if c.MinDomains != nil {
			pc.minDomains = *c.MinDomains
		}
		out = append(out, pc)
	}
	return out
}

// eligible reports whether node n counts for constraint c: it has every
// constraint's key and passes the inclusion policies.
func eligible(pod *corev1.Pod, cs []constraint, c *constraint, n *framework.NodeInfo) bool {
	for i := range cs {
		if _, ok := n.Node.Labels[cs[i].key]; !ok {
			return false
		}
	}
	if c.honorAffnity && !MatchesNodeSelectorAndAffinity(pod, n.Node) {
		return false
	}
	if c.honorTaints {
		for i := range n.Node.Spec.Taints {
			t := &n.Node.Spec.Taints[i]
			if (t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute) && !tolerates(pod.Spec.Tolerations, t) {
				return false
			}
		}
	}
	return true
}

// countMatching counts the node's pods in ns selected by sel, leaving out
// pods being deleted.
func countMatching(n *framework.NodeInfo, sel labels.Selector, ns string) int64 {
	var k int64
	for _, p := range n.Pods {
		if p.Pod.Namespace == ns && p.Pod.DeletionTimestamp == nil && sel.Matches(labels.Set(p.Pod.Labels)) {
			k++
		}
	}
	return k
}

func (PodTopologySpread) PreFilter(_ context.Context, state *framework.CycleState, pod *corev1.Pod, nodes []*framework.NodeInfo) *framework.Status {
	cs := parseConstraints(pod, corev1.DoNotSchedule)
	if len(cs) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	s := &spreadCounts{constraints: cs, counts: make([]map[string]int64, len(cs)), min: make([]int64, len(cs))}
	for i := range cs {
		s.counts[i] = map[string]int64{}
		for _, n := range nodes {
			if !eligible(pod, cs, &cs[i], n) {
				continue
			}
			s.counts[i][n.Node.Labels[cs[i].key]] += countMatching(n, cs[i].selector, pod.Namespace)
		}
		s.min[i] = math.MaxInt64
		for _, k := range s.counts[i] {
			s.min[i] = min(s.min[i], k)
		}
		if int32(len(s.counts[i])) < cs[i].minDomains || len(s.counts[i]) == 0 {
			s.min[i] = 0
		}
	}
	state.Write(spreadFilterKey, s)
	return nil
}

func (PodTopologySpread) Filter(_ context.Context, state *framework.CycleState, pod *corev1.Pod, n *framework.NodeInfo) *framework.Status {
	s, ok := framework.Read[*spreadCounts](state, spreadFilterKey)
	if !ok {
		return nil
	}
	for i, c := range s.constraints {
		v, ok := n.Node.Labels[c.key]
		if !ok {
			return framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) didn't match pod topology spread constraints (missing required label)")
		}
		self := int64(0)
		if c.selector.Matches(labels.Set(pod.Labels)) {
			self = 1
		}
		if s.counts[i][v]+self-s.min[i] > int64(c.maxSkew) {
			return framework.NewStatus(framework.Unschedulable, "node(s) didn't match pod topology spread constraints")
		}
	}
	return nil
}

// PreScore counts, for ScheduleAnyway constraints, matching pods per
// topology value present among the feasible nodes.
func (PodTopologySpread) PreScore(_ context.Context, state *framework.CycleState, pod *corev1.Pod, feasible, all []*framework.NodeInfo) *framework.Status {
	cs := parseConstraints(pod, corev1.ScheduleAnyway)
	if len(cs) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	s := &spreadCounts{constraints: cs, counts: make([]map[string]int64, len(cs)), weight: make([]float64, len(cs)), ignored: map[string]bool{}}
	for i := range cs {
		s.counts[i] = map[string]int64{}
	}
	for _, n := range feasible {
		for i := range cs {
			v, ok := n.Node.Labels[cs[i].key]
			if !ok {
				s.ignored[n.Name()] = true
				continue
			}
			s.counts[i][v] = 0
		}
	}
	for i := range cs {
		s.weight[i] = math.Log(float64(len(s.counts[i]) + 2))
		for _, n := range all {
			if !eligible(pod, cs, &cs[i], n) {
				continue
			}
			v := n.Node.Labels[cs[i].key]
			if _, ok := s.counts[i][v]; ok {
				s.counts[i][v] += countMatching(n, cs[i].selector, pod.Namespace)
			}
		}
	}
	state.Write(spreadScoreKey, s)
	return nil
}

func (PodTopologySpread) Score(_ context.Context, state *framework.CycleState, _ *corev1.Pod, n *framework.NodeInfo) (int64, *framework.Status) {
	s, ok := framework.Read[*spreadCounts](state, spreadScoreKey)
	if !ok || s.ignored[n.Name()] {
		return 0, nil
	}
	var score float64
	for i, c := range s.constraints {
		if v, ok := n.Node.Labels[c.key]; ok {
			score += float64(s.counts[i][v])*s.weight[i] + float64(c.maxSkew-1)
		}
	}
	return int64(math.Round(score)), nil
}

// NormalizeScore: the fewest matching pods scores 100; ignored nodes 0.
func (PodTopologySpread) NormalizeScore(_ context.Context, state *framework.CycleState, _ *corev1.Pod, nodes []*framework.NodeInfo, scores []int64) *framework.Status {
	s, ok := framework.Read[*spreadCounts](state, spreadScoreKey)
	if !ok {
		return nil
	}
	var lo, hi int64 = math.MaxInt64, 0
	for i, sc := range scores {
		if s.ignored[nodes[i].Name()] {
			continue
		}
		lo, hi = min(lo, sc), max(hi, sc)
	}
	for i, sc := range scores {
		switch {
		case s.ignored[nodes[i].Name()]:
			scores[i] = 0
		case hi == 0:
			scores[i] = framework.MaxNodeScore
		default:
			scores[i] = framework.MaxNodeScore * (hi + lo - sc) / hi
		}
	}
	return nil
}
