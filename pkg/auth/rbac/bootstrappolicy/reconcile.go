package bootstrappolicy

import (
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/pkg/auth/rbac"
)

// Protected reports whether reconciliation must leave an object alone:
// annotated rbac.authorization.kubernetes.io/autoupdate: "false".
func Protected(m metav1.Object) bool { return m.GetAnnotations()[AutoUpdateAnnotation] == "false" }

// ReconcileClusterRole returns existing with what want adds — the rules
// existing does not cover, the aggregationRule selectors it lacks, the
// labels and annotations it does not have — and whether that changed
// anything. A protected role is returned unchanged.
func ReconcileClusterRole(existing, want *rbacv1.ClusterRole) (*rbacv1.ClusterRole, bool) {
	if Protected(existing) {
		return existing, false
	}
	out := existing.DeepCopy()
	changed := mergeMeta(&out.ObjectMeta, want.ObjectMeta)
	if want.AggregationRule != nil {
		if out.AggregationRule == nil {
			out.AggregationRule = &rbacv1.AggregationRule{}
		}
		for _, sel := range want.AggregationRule.ClusterRoleSelectors {
			if !slices.ContainsFunc(out.AggregationRule.ClusterRoleSelectors, func(s metav1.LabelSelector) bool {
				return equality.Semantic.DeepEqual(s, sel)
			}) {
				out.AggregationRule.ClusterRoleSelectors = append(out.AggregationRule.ClusterRoleSelectors, sel)
				changed = true
			}
		}
	}
	if rules, ok := addMissingRules(out.Rules, want.Rules); ok {
		out.Rules, changed = rules, true
	}
	return out, changed
}

// ReconcileRole is ReconcileClusterRole for a namespaced Role.
func ReconcileRole(existing, want *rbacv1.Role) (*rbacv1.Role, bool) {
	if Protected(existing) {
		return existing, false
	}
	out := existing.DeepCopy()
	changed := mergeMeta(&out.ObjectMeta, want.ObjectMeta)
	if rules, ok := addMissingRules(out.Rules, want.Rules); ok {
		out.Rules, changed = rules, true
	}
	return out, changed
}

// ReconcileClusterRoleBinding returns existing with want's missing
// subjects, labels and annotations added, and whether that changed
// anything; recreate is true when the roleRef differs (it is immutable:
// the binding must be deleted and want created).
func ReconcileClusterRoleBinding(existing, want *rbacv1.ClusterRoleBinding) (out *rbacv1.ClusterRoleBinding, changed, recreate bool) {
	if Protected(existing) {
		return existing, false, false
	}
	if existing.RoleRef != want.RoleRef {
		return want, true, true
	}
	out = existing.DeepCopy()
	changed = mergeMeta(&out.ObjectMeta, want.ObjectMeta)
	if subjects, ok := addMissingSubjects(out.Subjects, want.Subjects); ok {
		out.Subjects, changed = subjects, true
	}
	return out, changed, false
}

// ReconcileRoleBinding is ReconcileClusterRoleBinding for a RoleBinding.
func ReconcileRoleBinding(existing, want *rbacv1.RoleBinding) (out *rbacv1.RoleBinding, changed, recreate bool) {
	if Protected(existing) {
		return existing, false, false
	}
	if existing.RoleRef != want.RoleRef {
		return want, true, true
	}
	out = existing.DeepCopy()
	changed = mergeMeta(&out.ObjectMeta, want.ObjectMeta)
	if subjects, ok := addMissingSubjects(out.Subjects, want.Subjects); ok {
		out.Subjects, changed = subjects, true
	}
	return out, changed, false
}

// addMissingRules appends the pieces of want that have does not cover
// (as upstream: broken down to one verb, group and resource each).
func addMissingRules(have, want []rbacv1.PolicyRule) ([]rbacv1.PolicyRule, bool) {
	ok, missing := rbac.Covers(have, want)
	if ok {
		return have, false
	}
	return append(have, missing...), true
}

func addMissingSubjects(have, want []rbacv1.Subject) ([]rbacv1.Subject, bool) {
	changed := false
	for _, s := range want {
		if !slices.ContainsFunc(have, func(h rbacv1.Subject) bool {
			// A ServiceAccount's apiGroup is "" and a User's may be
			// written either way: compare what names the subject.
			return h.Kind == s.Kind && h.Name == s.Name && h.Namespace == s.Namespace
		}) {
			have, changed = append(have, s), true
		}
	}
	return have, changed
}

// mergeMeta adds want's labels and annotations that m lacks.
func mergeMeta(m *metav1.ObjectMeta, want metav1.ObjectMeta) bool {
	changed := false
	for k, v := range want.Labels {
		if _, ok := m.Labels[k]; !ok {
			if m.Labels == nil {
				m.Labels = map[string]string{}
			}
			m.Labels[k], changed = v, true
		}
	}
	for k, v := range want.Annotations {
		if _, ok := m.Annotations[k]; !ok {
			if m.Annotations == nil {
				m.Annotations = map[string]string{}
			}
			m.Annotations[k], changed = v, true
		}
	}
	return changed
}
