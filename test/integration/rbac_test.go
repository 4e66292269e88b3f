package integration

import (
	"context"
	"errors"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller/clusterroleaggregation"
)

// as is a client impersonating user (the admin may impersonate anyone).
func as(t *testing.T, s *testserver.Server, user string, groups ...string) kubernetes.Interface {
	t.Helper()
	cfg := rest.CopyConfig(s.RESTConfig)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	return kubernetes.NewForConfigOrDie(cfg)
}

// TestRBAC: the server's default authorizer is RBAC. A user with a Role
// in one namespace is allowed there and refused elsewhere with
// upstream's Forbidden Status; access reviews answer what the
// authorizer decides; a user may not write a role granting more than
// they hold nor bind a role they do not hold; the aggregation controller
// fills admin, edit and view.
func TestRBAC(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	admin := s.Client
	for _, ns := range []string{"dev", "prod"} {
		controllertest.CreateNamespace(t, admin, ns)
	}
	alice := as(t, s, "alice")

	// Nothing bound: only what system:authenticated gets.
	_, err := alice.CoreV1().Pods("dev").List(ctx, metav1.ListOptions{})
	var status apierrors.APIStatus
	if !apierrors.IsForbidden(err) || !errors.As(err, &status) ||
		status.Status().Message != `pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "dev"` {
		t.Fatalf("alice lists pods with no binding: %v", err)
	}

	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "pod-reader", Namespace: "dev"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods"}}}}
	if _, err := admin.RbacV1().Roles("dev").Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "alice-reads", Namespace: "dev"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "pod-reader"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "alice"}}}
	if _, err := admin.RbacV1().RoleBindings("dev").Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "alice allowed to list pods in dev", func(ctx context.Context) (bool, error) {
		_, err := alice.CoreV1().Pods("dev").List(ctx, metav1.ListOptions{})
		return err == nil, nil
	})
	if _, err := alice.CoreV1().Pods("prod").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("alice lists pods in prod: %v, want Forbidden", err)
	}
	if _, err := alice.CoreV1().Pods("dev").Create(ctx, nil, metav1.CreateOptions{}); err == nil {
		t.Error("alice created a pod with a read-only role")
	}

	// Access reviews: the caller's own, and the admin asking about alice.
	ssar, err := alice.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: "dev", Verb: "get", Resource: "pods"}}}, metav1.CreateOptions{})
	if err != nil || !ssar.Status.Allowed || !strings.Contains(ssar.Status.Reason, `RoleBinding "alice-reads/dev" of Role "pod-reader" to User "alice"`) {
		t.Errorf("alice's own review: %+v %v", ssar, err)
	}
	sar, err := admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: "prod", Verb: "get", Resource: "pods"}}}, metav1.CreateOptions{})
	if err != nil || sar.Status.Allowed || sar.Status.Denied {
		t.Errorf("review of alice in prod: %+v %v, want not allowed (no opinion)", sar, err)
	}
	rules, err := alice.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{
		Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "dev"}}, metav1.CreateOptions{})
	if err != nil || rules.Status.Incomplete || !hasResourceRule(rules.Status.ResourceRules, "pods", "list") ||
		hasResourceRule(rules.Status.ResourceRules, "secrets", "get") {
		t.Errorf("alice's rules in dev: %+v %v", rules, err)
	}

	// Impersonation needs the impersonate verb: the admin has it,
	// alice (impersonating bob through a client that is alice) not.
	if _, err := as(t, s, "alice").CoreV1().Pods("dev").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}

	// Escalation: alice, admin of dev, may write roles with what she
	// holds there, not more; she may bind admin's rules in dev, not
	// cluster-admin.
	if _, err := admin.RbacV1().RoleBindings("dev").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "alice-admin", Namespace: "dev"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "alice"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.StartControllers(t, s, clusterroleaggregation.New)
	controllertest.Eventually(t, "admin, edit and view aggregated", func(ctx context.Context) (bool, error) {
		for _, name := range []string{"admin", "edit", "view"} {
			r, err := admin.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
			if err != nil || len(r.Rules) == 0 {
				return false, err
			}
		}
		view, _ := admin.RbacV1().ClusterRoles().Get(ctx, "view", metav1.GetOptions{})
		edit, _ := admin.RbacV1().ClusterRoles().Get(ctx, "edit", metav1.GetOptions{})
		return hasResourceRuleP(view.Rules, "pods", "list") && !hasResourceRuleP(view.Rules, "secrets", "get") &&
			hasResourceRuleP(edit.Rules, "secrets", "get"), nil
	})
	controllertest.Eventually(t, "alice admin in dev", func(ctx context.Context) (bool, error) {
		_, err := alice.CoreV1().Secrets("dev").List(ctx, metav1.ListOptions{})
		return err == nil, nil
	})
	ok := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "cm-reader", Namespace: "dev"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}}}
	if _, err := alice.RbacV1().Roles("dev").Create(ctx, ok, metav1.CreateOptions{}); err != nil {
		t.Errorf("alice creates a role within her rights: %v", err)
	}
	escalating := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "node-reader", Namespace: "dev"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"nodes"}}}}
	_, err = alice.RbacV1().Roles("dev").Create(ctx, escalating, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `is attempting to grant RBAC permissions not currently held:`+"\n"+`{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}`) {
		t.Errorf("alice creates an escalating role: %v", err)
	}
	toAdmin := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "bob-cluster-admin", Namespace: "dev"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "bob"}}}
	if _, err := alice.RbacV1().RoleBindings("dev").Create(ctx, toAdmin, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("alice binds cluster-admin: %v", err)
	}
	toAdmin.RoleRef.Name = "view"
	if _, err := alice.RbacV1().RoleBindings("dev").Create(ctx, toAdmin, metav1.CreateOptions{}); err != nil {
		t.Errorf("alice binds view in dev: %v", err)
	}
}

func hasResourceRule(rules []authorizationv1.ResourceRule, resource, verb string) bool {
	for _, r := range rules {
		if hasString(r.Resources, resource) && (hasString(r.Verbs, verb) || hasString(r.Verbs, "*")) {
			return true
		}
	}
	return false
}

func hasResourceRuleP(rules []rbacv1.PolicyRule, resource, verb string) bool {
	for _, r := range rules {
		if hasString(r.Resources, resource) && hasString(r.Verbs, verb) {
			return true
		}
	}
	return false
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
