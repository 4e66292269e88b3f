package bootstrappolicy_test

import (
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/tinykube/tinykube/pkg/auth/rbac/bootstrappolicy"
)

// Every binding refers to a role of the policy, and the roles the issue
// names are there with upstream's subjects.
func TestPolicyIsConsistent(t *testing.T) {
	clusterRoles := map[string]*rbacv1.ClusterRole{}
	for _, r := range bootstrappolicy.ClusterRoles() {
		if clusterRoles[r.Name] != nil {
			t.Errorf("ClusterRole %s twice", r.Name)
		}
		clusterRoles[r.Name] = r
	}
	for _, b := range bootstrappolicy.ClusterRoleBindings() {
		if clusterRoles[b.RoleRef.Name] == nil {
			t.Errorf("ClusterRoleBinding %s refers to missing ClusterRole %s", b.Name, b.RoleRef.Name)
		}
	}
	roles := map[string]bool{}
	for _, r := range bootstrappolicy.Roles() {
		roles[r.Namespace+"/"+r.Name] = true
	}
	for _, b := range bootstrappolicy.RoleBindings() {
		if !roles[b.Namespace+"/"+b.RoleRef.Name] {
			t.Errorf("RoleBinding %s/%s refers to missing Role %s", b.Namespace, b.Name, b.RoleRef.Name)
		}
	}
	for _, name := range []string{"cluster-admin", "admin", "edit", "view", "system:basic-user", "system:discovery",
		"system:public-info-viewer", "system:kube-scheduler", "system:kube-controller-manager", "system:node-proxier",
		"system:node", "system:monitoring", "system:aggregate-to-view"} {
		if clusterRoles[name] == nil {
			t.Errorf("no ClusterRole %s", name)
		}
	}
	for _, name := range []string{"admin", "edit", "view"} {
		if clusterRoles[name].AggregationRule == nil || len(clusterRoles[name].Rules) != 0 {
			t.Errorf("%s: want an aggregationRule and no rules of its own", name)
		}
	}
	subjects := func(name string) []string {
		for _, b := range bootstrappolicy.ClusterRoleBindings() {
			if b.Name == name {
				var out []string
				for _, s := range b.Subjects {
					out = append(out, s.Kind+":"+s.Name)
				}
				return out
			}
		}
		return nil
	}
	for name, want := range map[string][]string{
		"cluster-admin":             {"Group:system:masters"},
		"system:public-info-viewer": {"Group:system:authenticated", "Group:system:unauthenticated"},
		"system:discovery":          {"Group:system:authenticated"},
		"system:basic-user":         {"Group:system:authenticated"},
		"system:kube-scheduler":     {"User:system:kube-scheduler"},
	} {
		if got := subjects(name); !slices.Equal(got, want) {
			t.Errorf("ClusterRoleBinding %s subjects = %v, want %v", name, got, want)
		}
	}
}

func TestReconcile(t *testing.T) {
	var want *rbacv1.ClusterRole
	for _, r := range bootstrappolicy.ClusterRoles() {
		if r.Name == "system:basic-user" {
			want = r
		}
	}
	// A user changed the role: one rule removed, a label and a rule of
	// their own added. Reconciling puts the rule back and keeps theirs.
	existing := want.DeepCopy()
	existing.Rules = existing.Rules[1:]
	own := rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}
	existing.Rules = append(existing.Rules, own)
	delete(existing.Labels, bootstrappolicy.BootstrappingLabel)
	out, changed := bootstrappolicy.ReconcileClusterRole(existing, want)
	if !changed || out.Labels[bootstrappolicy.BootstrappingLabel] == "" || !slices.ContainsFunc(out.Rules, func(r rbacv1.PolicyRule) bool { return r.String() == own.String() }) {
		t.Fatalf("reconciled = %+v, changed %v", out, changed)
	}
	if _, changed := bootstrappolicy.ReconcileClusterRole(out, want); changed {
		t.Error("reconciling twice changes again")
	}
	existing.Annotations[bootstrappolicy.AutoUpdateAnnotation] = "false"
	if out, changed := bootstrappolicy.ReconcileClusterRole(existing, want); changed || len(out.Rules) != len(existing.Rules) {
		t.Error("a role annotated autoupdate=false was changed")
	}

	var binding *rbacv1.ClusterRoleBinding
	for _, b := range bootstrappolicy.ClusterRoleBindings() {
		if b.Name == "system:public-info-viewer" {
			binding = b
		}
	}
	old := binding.DeepCopy()
	old.Subjects = old.Subjects[:1]
	old.Subjects = append(old.Subjects, rbacv1.Subject{Kind: "User", Name: "extra"})
	outB, changed, recreate := bootstrappolicy.ReconcileClusterRoleBinding(old, binding)
	if !changed || recreate || len(outB.Subjects) != 3 {
		t.Errorf("binding reconciled to %+v (changed %v, recreate %v), want the missing subject added", outB.Subjects, changed, recreate)
	}
	old.RoleRef.Name = "something-else"
	if _, _, recreate := bootstrappolicy.ReconcileClusterRoleBinding(old, binding); !recreate {
		t.Error("a binding with another roleRef is not recreated")
	}
}
