package bootstrappolicy

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Labels and annotations of the bootstrap objects, as upstream's.
const (
	// AutoUpdateAnnotation "false" on an object stops reconciliation.
	AutoUpdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate"
	// BootstrappingLabel marks every bootstrap object.
	BootstrappingLabel = "kubernetes.io/bootstrapping"
	// aggregateToPrefix + "admin" (edit, view) labels a ClusterRole whose
	// rules the aggregated role of that name gathers.
	aggregateToPrefix = "rbac.authorization.k8s.io/aggregate-to-"
)

// role is one row of a role table.
type role struct {
	name string
	// namespace is set for Roles (policy_namespaces.go).
	namespace string
	// aggregateTo: labels aggregate-to-<x>: "true" for each x.
	aggregateTo []string
	// aggregateFrom: an aggregationRule selecting aggregate-to-<x> for
	// each x (admin, edit, view); such a role's rules are the
	// aggregation controller's.
	aggregateFrom []string
	rules         []rbacv1.PolicyRule
}

// binding is one row of a binding table. role defaults to name; the
// roleRef is a ClusterRole for cluster bindings and a Role for
// namespaced ones.
type binding struct {
	name, namespace, role string
	subjects              []rbacv1.Subject
}

// list splits a comma-separated list; "" is one empty string (the core
// API group).
func list(s string) []string { return strings.Split(s, ",") }

// rule grants verbs on resources of groups (comma-separated), limited to
// names if any.
func rule(verbs, groups, resources string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: list(verbs), APIGroups: list(groups), Resources: list(resources), ResourceNames: names}
}

// urls grants verbs on non-resource URLs.
func urls(verbs, paths string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: list(verbs), NonResourceURLs: list(paths)}
}

func user(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

func group(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

func sa(namespace, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: name}
}

func (r role) meta() metav1.ObjectMeta {
	m := metav1.ObjectMeta{Name: r.name, Namespace: r.namespace,
		Labels:      map[string]string{BootstrappingLabel: "rbac-defaults"},
		Annotations: map[string]string{AutoUpdateAnnotation: "true"}}
	for _, x := range r.aggregateTo {
		m.Labels[aggregateToPrefix+x] = "true"
	}
	return m
}

func (b binding) meta() metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: b.name, Namespace: b.namespace,
		Labels:      map[string]string{BootstrappingLabel: "rbac-defaults"},
		Annotations: map[string]string{AutoUpdateAnnotation: "true"}}
}

func (b binding) roleRef(kind string) rbacv1.RoleRef {
	name := b.role
	if name == "" {
		name = b.name
	}
	return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: name}
}

// ClusterRoles returns every bootstrap ClusterRole (fresh copies).
func ClusterRoles() []*rbacv1.ClusterRole {
	var out []*rbacv1.ClusterRole
	for _, tab := range [][]role{clusterRoles, controllerRoles, tinykubeClusterRoles} {
		for _, r := range tab {
			cr := &rbacv1.ClusterRole{ObjectMeta: r.meta()}
			for _, x := range r.rules {
				cr.Rules = append(cr.Rules, *x.DeepCopy())
			}
			if len(r.aggregateFrom) > 0 {
				cr.AggregationRule = &rbacv1.AggregationRule{}
				for _, x := range r.aggregateFrom {
					cr.AggregationRule.ClusterRoleSelectors = append(cr.AggregationRule.ClusterRoleSelectors,
						metav1.LabelSelector{MatchLabels: map[string]string{aggregateToPrefix + x: "true"}})
				}
			}
			out = append(out, cr)
		}
	}
	return out
}

// ClusterRoleBindings returns every bootstrap ClusterRoleBinding.
func ClusterRoleBindings() []*rbacv1.ClusterRoleBinding {
	var out []*rbacv1.ClusterRoleBinding
	for _, tab := range [][]binding{clusterRoleBindings, controllerRoleBindings, tinykubeClusterRoleBindings} {
		for _, b := range tab {
			out = append(out, &rbacv1.ClusterRoleBinding{ObjectMeta: b.meta(), RoleRef: b.roleRef("ClusterRole"),
				Subjects: append([]rbacv1.Subject(nil), b.subjects...)})
		}
	}
	return out
}

// Roles returns every bootstrap Role (in kube-system and kube-public).
func Roles() []*rbacv1.Role {
	var out []*rbacv1.Role
	for _, tab := range [][]role{namespaceRoles, tinykubeRoles} {
		for _, r := range tab {
			role := &rbacv1.Role{ObjectMeta: r.meta()}
			for _, x := range r.rules {
				role.Rules = append(role.Rules, *x.DeepCopy())
			}
			out = append(out, role)
		}
	}
	return out
}

// RoleBindings returns every bootstrap RoleBinding.
func RoleBindings() []*rbacv1.RoleBinding {
	var out []*rbacv1.RoleBinding
	for _, tab := range [][]binding{namespaceRoleBindings, tinykubeRoleBindings} {
		for _, b := range tab {
			out = append(out, &rbacv1.RoleBinding{ObjectMeta: b.meta(), RoleRef: b.roleRef("Role"),
				Subjects: append([]rbacv1.Subject(nil), b.subjects...)})
		}
	}
	return out
}

// Namespaces are the namespaces the bootstrap Roles live in; they must
// exist before the Roles are created.
func Namespaces() []string { return []string{metav1.NamespaceSystem, metav1.NamespacePublic} }
