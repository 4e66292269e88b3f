package framework

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"
)

// AffinityTerm is a parsed PodAffinityTerm: which pods it selects (by
// labels, in which namespaces) and the topology key that groups nodes.
type AffinityTerm struct {
	Namespaces        sets.Set[string]
	NamespaceSelector labels.Selector
	Selector          labels.Selector
	TopologyKey       string
}

// WeightedAffinityTerm is a preferred term with its weight.
type WeightedAffinityTerm struct {
	AffinityTerm
	Weight int32
}

// NamespaceLabels returns a namespace's labels (nil if unknown).
type NamespaceLabels func(ns string) labels.Set

// Matches reports whether pod is selected by the term. nsLabels resolves
// the term's namespaceSelector (nil: namespaces have no labels).
func (t *AffinityTerm) Matches(pod *corev1.Pod, nsLabels NamespaceLabels) bool {
	if !t.Namespaces.Has(pod.Namespace) {
		var l labels.Set
		if nsLabels != nil {
			l = nsLabels(pod.Namespace)
		}
		if !t.NamespaceSelector.Matches(l) {
			return false
		}
	}
	return t.Selector.Matches(labels.Set(pod.Labels))
}

func parseTerm(owner *corev1.Pod, t *corev1.PodAffinityTerm) (AffinityTerm, bool) {
	sel, err := metav1.LabelSelectorAsSelector(t.LabelSelector)
	if err != nil {
		return AffinityTerm{}, false
	}
	// matchLabelKeys adds key in (owner's value) to the selector.
	for _, k := range t.MatchLabelKeys {
		if v, ok := owner.Labels[k]; ok {
			if r, err := labels.NewRequirement(k, "in", []string{v}); err == nil {
				sel = sel.Add(*r)
			}
		}
	}
	for _, k := range t.MismatchLabelKeys {
		if v, ok := owner.Labels[k]; ok {
			if r, err := labels.NewRequirement(k, "notin", []string{v}); err == nil {
				sel = sel.Add(*r)
			}
		}
	}
	term := AffinityTerm{Namespaces: sets.New(t.Namespaces...), Selector: sel, TopologyKey: t.TopologyKey, NamespaceSelector: labels.Nothing()}
	if t.NamespaceSelector != nil {
		ns, err := metav1.LabelSelectorAsSelector(t.NamespaceSelector)
		if err != nil {
			return AffinityTerm{}, false
		}
		term.NamespaceSelector = ns
	} else if len(t.Namespaces) == 0 {
		term.Namespaces.Insert(owner.Namespace)
	}
	return term, true
}

func parseTerms(owner *corev1.Pod, ts []corev1.PodAffinityTerm) []AffinityTerm {
	var out []AffinityTerm
	for i := range ts {
		if t, ok := parseTerm(owner, &ts[i]); ok {
			out = append(out, t)
		}
	}
	return out
}

func parseWeighted(owner *corev1.Pod, ts []corev1.WeightedPodAffinityTerm) []WeightedAffinityTerm {
	var out []WeightedAffinityTerm
	for i := range ts {
		if t, ok := parseTerm(owner, &ts[i].PodAffinityTerm); ok {
			out = append(out, WeightedAffinityTerm{t, ts[i].Weight})
		}
	}
	return out
}
