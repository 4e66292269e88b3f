package admissionpolicy

import (
	"context"
	"slices"
	"strings"

	admv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// exempt reports writes no policy sees: upstream never runs admission
// policies on admissionregistration.k8s.io objects, so a bad policy
// cannot lock out its own repair.
func exempt(a *generic.Attributes) bool {
	return a.Resource.GroupVersion.Group == admv1.GroupName
}

// matchResources reports whether m selects the write (upstream's
// matching.Matcher): namespaceSelector, objectSelector, then
// excludeResourceRules and resourceRules (no rules = every resource, as
// in a binding's matchResources).
func (r *request) matchResources(ctx context.Context, m *admv1.MatchResources) (bool, error) {
	if m == nil {
		return true, nil
	}
	if ok, err := r.matchNamespace(ctx, m.NamespaceSelector); !ok || err != nil {
		return false, err
	}
	if ok, err := r.matchObject(m.ObjectSelector); !ok || err != nil {
		return false, err
	}
	if r.matchRules(m.ExcludeResourceRules) {
		return false, nil
	}
	if len(m.ResourceRules) == 0 {
		return true, nil
	}
	return r.matchRules(m.ResourceRules), nil
}

func (r *request) matchRules(rules []admv1.NamedRuleWithOperations) bool {
	for _, nr := range rules {
		if !ruleMatches(nr.RuleWithOperations, r.a) {
			continue
		}
		if len(nr.ResourceNames) == 0 || slices.Contains(nr.ResourceNames, r.a.Name) {
			return true
		}
	}
	return false
}

// ruleMatches is upstream's rules.Matcher: operation, group, version,
// resource (with "*", "res/sub", "*/sub", "res/*", "*/*") and scope.
func ruleMatches(rule admv1.RuleWithOperations, a *generic.Attributes) bool {
	op := false
	for _, o := range rule.Operations {
		op = op || o == admv1.OperationAll || string(o) == string(a.Operation)
	}
	gv := a.Resource.GroupVersion
	if !op || !matchesAny(rule.APIGroups, gv.Group) || !matchesAny(rule.APIVersions, gv.Version) {
		return false
	}
	res := false
	for _, pattern := range rule.Resources {
		res = res || resourceMatches(pattern, a.Resource.Name, a.Subresource)
	}
	if !res {
		return false
	}
	scope := admv1.AllScopes
	if rule.Scope != nil {
		scope = *rule.Scope
	}
	switch scope {
	case admv1.NamespacedScope:
		return a.Resource.Namespaced
	case admv1.ClusterScope:
		return !a.Resource.Namespaced
	}
	return true
}

func matchesAny(list []string, v string) bool {
	return slices.Contains(list, "*") || slices.Contains(list, v)
}

func resourceMatches(pattern, resource, sub string) bool {
	pr, ps, hasSub := strings.Cut(pattern, "/")
	if !hasSub {
		return sub == "" && (pr == "*" || pr == resource)
	}
	return (pr == "*" || pr == resource) && (ps == "*" || ps == sub)
}

// matchNamespace applies a namespaceSelector: a namespaced write is
// matched on its namespace's labels, a Namespace on its own, any other
// cluster-scoped write always matches.
func (r *request) matchNamespace(ctx context.Context, sel *metav1.LabelSelector) (bool, error) {
	if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
		return true, nil
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false, err
	}
	if r.isNamespace() {
		return s.Matches(labels.Set(metaOf(r.a.Object).GetLabels())), nil
	}
	if !r.a.Resource.Namespaced {
		return true, nil
	}
	ns, err := r.namespace(ctx)
	if err != nil || ns == nil {
		return false, err
	}
	return s.Matches(labels.Set(ns.Labels)), nil
}

// matchObject applies an objectSelector to the new or the old object.
func (r *request) matchObject(sel *metav1.LabelSelector) (bool, error) {
	if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
		return true, nil
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false, err
	}
	for _, o := range []any{r.a.Object, r.a.Old} {
		if m := metaOf(o); m != nil && s.Matches(labels.Set(m.GetLabels())) {
			return true, nil
		}
	}
	return false, nil
}
