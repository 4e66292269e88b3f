package rbac_test

import (
	"context"
	"fmt"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/auth/authz"
	"github.com/tinykube/tinykube/pkg/auth/rbac"
	"github.com/tinykube/tinykube/pkg/auth/rbac/bootstrappolicy"
)

// BenchmarkAuthorize: one decision over the bootstrap policy plus 1,000
// RoleBindings (one per user, in 100 namespaces) and 100 ClusterRoleBindings
// of other users, for a user allowed by a RoleBinding and one refused.
func BenchmarkAuthorize(b *testing.B) {
	var objs []runtime.Object
	for _, r := range bootstrappolicy.ClusterRoles() {
		objs = append(objs, r)
	}
	for _, r := range bootstrappolicy.ClusterRoleBindings() {
		objs = append(objs, r)
	}
	objs = append(objs, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "reader"}, Rules: []rbacv1.PolicyRule{
		{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{"", "apps"}, Resources: []string{"pods", "deployments", "configmaps"}}}})
	for i := range 1000 {
		objs = append(objs, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rb-%d", i), Namespace: fmt.Sprintf("ns-%d", i%100)},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "reader"},
			Subjects: []rbacv1.Subject{{Kind: "User", Name: fmt.Sprintf("user-%d", i)}}})
	}
	for i := range 100 {
		objs = append(objs, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("crb-%d", i)},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
			Subjects: []rbacv1.Subject{{Kind: "User", Name: fmt.Sprintf("other-%d", i)}}})
	}
	z := rbac.New(rbac.NewStaticSource(objs...))
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		a    authz.Attributes
		want authz.Decision
	}{
		{"allowed", authz.Attributes{User: &authn.User{Name: "user-542", Groups: []string{authn.GroupAuthenticated}},
			ResourceRequest: true, Verb: "list", APIGroup: "apps", Resource: "deployments", Namespace: "ns-42"}, authz.Allow},
		{"refused", authz.Attributes{User: &authn.User{Name: "user-542", Groups: []string{authn.GroupAuthenticated}},
			ResourceRequest: true, Verb: "delete", Resource: "pods", Namespace: "ns-42", Name: "p"}, authz.NoOpinion},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if d, _, _ := z.Authorize(ctx, tc.a); d != tc.want {
					b.Fatalf("decision %v", d)
				}
			}
		})
	}
}
