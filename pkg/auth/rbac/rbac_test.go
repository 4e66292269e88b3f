package rbac_test

import (
	"context"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/auth/authz"
	"github.com/tinykube/tinykube/pkg/auth/rbac"
)

func res(verb, group, resource, sub, ns, name string) authz.Attributes {
	return authz.Attributes{ResourceRequest: true, Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Namespace: ns, Name: name}
}

func path(verb, p string) authz.Attributes { return authz.Attributes{Verb: verb, Path: p} }

func TestRuleAllows(t *testing.T) {
	r := func(verbs, groups, resources []string, names ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
	}
	u := func(verbs []string, urls ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: verbs, NonResourceURLs: urls}
	}
	s := func(v ...string) []string { return v }
	cases := []struct {
		name string
		rule rbacv1.PolicyRule
		a    authz.Attributes
		want bool
	}{
		{"exact", r(s("get"), s(""), s("pods")), res("get", "", "pods", "", "ns", "x"), true},
		{"other verb", r(s("get"), s(""), s("pods")), res("list", "", "pods", "", "ns", ""), false},
		{"verb star", r(s("*"), s(""), s("pods")), res("delete", "", "pods", "", "ns", "x"), true},
		{"other group", r(s("get"), s(""), s("deployments")), res("get", "apps", "deployments", "", "ns", "x"), false},
		{"group star", r(s("get"), s("*"), s("deployments")), res("get", "apps", "deployments", "", "ns", "x"), true},
		{"resource star", r(s("get"), s("apps"), s("*")), res("get", "apps", "deployments", "scale", "ns", "x"), true},
		{"subresource needs its own rule", r(s("get"), s(""), s("pods")), res("get", "", "pods", "log", "ns", "x"), false},
		{"resource/subresource", r(s("get"), s(""), s("pods/log")), res("get", "", "pods", "log", "ns", "x"), true},
		{"*/subresource", r(s("update"), s("*"), s("*/scale")), res("update", "apps", "deployments", "scale", "ns", "x"), true},
		{"*/subresource is not the resource", r(s("get"), s("*"), s("*/scale")), res("get", "apps", "deployments", "", "ns", "x"), false},
		{"*/other subresource", r(s("get"), s("*"), s("*/scale")), res("get", "", "pods", "status", "ns", "x"), false},
		{"resourceNames match", r(s("get"), s(""), s("configmaps"), "a", "b"), res("get", "", "configmaps", "", "ns", "b"), true},
		{"resourceNames other", r(s("get"), s(""), s("configmaps"), "a"), res("get", "", "configmaps", "", "ns", "c"), false},
		{"resourceNames and list", r(s("list"), s(""), s("configmaps"), "a"), res("list", "", "configmaps", "", "ns", ""), false},
		{"url exact", u(s("get"), "/healthz"), path("get", "/healthz"), true},
		{"url not prefix without star", u(s("get"), "/healthz"), path("get", "/healthz/etcd"), false},
		{"url star suffix", u(s("get"), "/apis/*"), path("get", "/apis/apps/v1"), true},
		{"url star suffix is a prefix match", u(s("get"), "/api*"), path("get", "/apis"), true},
		{"url star", u(s("*"), "*"), path("post", "/anything"), true},
		{"url verb", u(s("get"), "/metrics"), path("post", "/metrics"), false},
		{"url rule on resource", u(s("*"), "*"), res("get", "", "pods", "", "ns", "x"), false},
		{"resource rule on url", r(s("*"), s("*"), s("*")), path("get", "/healthz"), false},
	}
	for _, tc := range cases {
		if got := rbac.RuleAllows(tc.a, &tc.rule); got != tc.want {
			t.Errorf("%s: RuleAllows = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func meta(ns, name string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: ns, Name: name} }

func ref(kind, name string) rbacv1.RoleRef {
	return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: name}
}

var (
	alice = &authn.User{Name: "alice", Groups: []string{"devs", authn.GroupAuthenticated}}
	bob   = &authn.User{Name: "bob", Groups: []string{authn.GroupAuthenticated}}
	robot = &authn.User{Name: "system:serviceaccount:ci:robot",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:ci", authn.GroupAuthenticated}}
)

// source: alice may read pods in dev (a Role), the devs group may read
// deployments everywhere (a ClusterRoleBinding), the ci robot may edit
// in ci (a RoleBinding of a ClusterRole with a ServiceAccount subject
// without namespace), and a binding refers to a missing role.
func source() rbac.Source {
	return rbac.NewStaticSource(
		&rbacv1.Role{ObjectMeta: meta("dev", "pod-reader"), Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}}}},
		&rbacv1.RoleBinding{ObjectMeta: meta("dev", "alice-reads"), RoleRef: ref("Role", "pod-reader"),
			Subjects: []rbacv1.Subject{{Kind: "User", Name: "alice"}}},
		&rbacv1.ClusterRole{ObjectMeta: meta("", "deploy-reader"), Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"get"}, APIGroups: []string{"apps"}, Resources: []string{"deployments"}}}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: meta("", "devs-read"), RoleRef: ref("ClusterRole", "deploy-reader"),
			Subjects: []rbacv1.Subject{{Kind: "Group", Name: "devs"}}},
		&rbacv1.ClusterRole{ObjectMeta: meta("", "editor"), Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"*"}, APIGroups: []string{"", "apps"}, Resources: []string{"*"}}}},
		&rbacv1.RoleBinding{ObjectMeta: meta("ci", "robot-edits"), RoleRef: ref("ClusterRole", "editor"),
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "robot"}}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: meta("", "dangling"), RoleRef: ref("ClusterRole", "gone"),
			Subjects: []rbacv1.Subject{{Kind: "User", Name: "bob"}}},
	)
}

func TestAuthorize(t *testing.T) {
	z := rbac.New(source())
	ctx := context.Background()
	cases := []struct {
		name   string
		u      *authn.User
		a      authz.Attributes
		want   authz.Decision
		reason string
	}{
		{"role in its namespace", alice, res("get", "", "pods", "", "dev", "x"), authz.Allow,
			`RBAC: allowed by RoleBinding "alice-reads/dev" of Role "pod-reader" to User "alice"`},
		{"subresource in the role", alice, res("get", "", "pods", "log", "dev", "x"), authz.Allow, ""},
		{"role not in another namespace", alice, res("get", "", "pods", "", "prod", "x"), authz.NoOpinion, ""},
		{"role not cluster-wide", alice, res("list", "", "pods", "", "", ""), authz.NoOpinion, ""},
		{"group binding", alice, res("get", "apps", "deployments", "", "prod", "d"), authz.Allow,
			`RBAC: allowed by ClusterRoleBinding "devs-read" of ClusterRole "deploy-reader" to Group "devs"`},
		{"service account in the binding's namespace", robot, res("delete", "apps", "deployments", "", "ci", "d"), authz.Allow,
			`RBAC: allowed by RoleBinding "robot-edits/ci" of ClusterRole "editor" to ServiceAccount "robot/ci"`},
		{"service account elsewhere", robot, res("delete", "apps", "deployments", "", "dev", "d"), authz.NoOpinion, ""},
		{"missing role is the reason", bob, res("get", "", "pods", "", "dev", "x"), authz.NoOpinion,
			`RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found`},
	}
	for _, tc := range cases {
		tc.a.User = tc.u
		d, reason, err := z.Authorize(ctx, tc.a)
		if err != nil || d != tc.want || (tc.reason != "" && reason != tc.reason) {
			t.Errorf("%s: Authorize = %v %q %v, want %v %q", tc.name, d, reason, err, tc.want, tc.reason)
		}
	}
}

func TestRulesFor(t *testing.T) {
	z := rbac.New(source())
	res, nonRes, incomplete, err := z.RulesFor(context.Background(), alice, "dev")
	if err != nil || incomplete || len(nonRes) != 0 || len(res) != 2 {
		t.Fatalf("RulesFor(alice, dev) = %v %v %v %v", res, nonRes, incomplete, err)
	}
	if res[0].Resources[0] != "deployments" || res[1].Resources[0] != "pods" {
		t.Errorf("rules = %+v, want the cluster-wide one first", res)
	}
	if res, _, _, _ := z.RulesFor(context.Background(), alice, "prod"); len(res) != 1 {
		t.Errorf("RulesFor(alice, prod) = %+v, want only the cluster-wide rule", res)
	}
	if _, _, incomplete, err := z.RulesFor(context.Background(), bob, "dev"); !incomplete || err == nil {
		t.Errorf("bob's dangling binding: incomplete = %v, err = %v", incomplete, err)
	}
}

func TestCovers(t *testing.T) {
	p := func(verbs, groups, resources string, names ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: strings.Split(verbs, ","), APIGroups: strings.Split(groups, ","), Resources: strings.Split(resources, ","), ResourceNames: names}
	}
	url := func(verbs, urls string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: strings.Split(verbs, ","), NonResourceURLs: strings.Split(urls, ",")}
	}
	cases := []struct {
		name           string
		owner, servant []rbacv1.PolicyRule
		want           bool
		missing        int
	}{
		{"same", []rbacv1.PolicyRule{p("get,list", "", "pods")}, []rbacv1.PolicyRule{p("get", "", "pods")}, true, 0},
		{"split over two owner rules", []rbacv1.PolicyRule{p("get", "", "pods"), p("list", "", "pods")}, []rbacv1.PolicyRule{p("get,list", "", "pods")}, true, 0},
		{"more verbs", []rbacv1.PolicyRule{p("get", "", "pods")}, []rbacv1.PolicyRule{p("get,delete", "", "pods")}, false, 1},
		{"star verb needs star", []rbacv1.PolicyRule{p("get,list,watch,create,update,patch,delete,deletecollection", "", "pods")}, []rbacv1.PolicyRule{p("*", "", "pods")}, false, 1},
		{"star covers all", []rbacv1.PolicyRule{p("*", "*", "*")}, []rbacv1.PolicyRule{p("escalate", "rbac.authorization.k8s.io", "roles")}, true, 0},
		{"*/scale covers deployments/scale", []rbacv1.PolicyRule{p("update", "apps", "*/scale")}, []rbacv1.PolicyRule{p("update", "apps", "deployments/scale")}, true, 0},
		{"names limit", []rbacv1.PolicyRule{p("get", "", "configmaps", "a")}, []rbacv1.PolicyRule{p("get", "", "configmaps")}, false, 1},
		{"names covered", []rbacv1.PolicyRule{p("get", "", "configmaps", "a", "b")}, []rbacv1.PolicyRule{p("get", "", "configmaps", "b")}, true, 0},
		{"url prefix", []rbacv1.PolicyRule{url("get", "/apis/*")}, []rbacv1.PolicyRule{url("get", "/apis/apps")}, true, 0},
		{"url not covered", []rbacv1.PolicyRule{url("get", "/healthz")}, []rbacv1.PolicyRule{url("get", "/metrics,/healthz")}, false, 1},
	}
	for _, tc := range cases {
		ok, missing := rbac.Covers(tc.owner, tc.servant)
		if ok != tc.want || len(missing) != tc.missing {
			t.Errorf("%s: Covers = %v, %v; want %v with %d missing", tc.name, ok, missing, tc.want, tc.missing)
		}
	}
}

func TestGuard(t *testing.T) {
	z := rbac.New(source())
	g := &rbac.Guard{Authorizer: z, Resolver: z.Resolver()}
	ctx := context.Background()
	podRules := []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}
	nodeRules := []rbacv1.PolicyRule{{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"nodes", "pods"}}}
	if err := g.CheckRole(ctx, alice, "roles", "dev", "r", podRules, false); err != nil {
		t.Errorf("a role within alice's rights: %v", err)
	}
	err := g.CheckRole(ctx, alice, "roles", "dev", "r", nodeRules, false)
	want := `roles.rbac.authorization.k8s.io "r" is forbidden: user "alice" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:` +
		"\n" + `{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("escalating role: %v\nwant %s", err, want)
	}
	if err := g.CheckRole(ctx, alice, "roles", "prod", "r", podRules, false); !apierrors.IsForbidden(err) {
		t.Errorf("a role in a namespace where alice holds nothing: %v", err)
	}
	if err := g.CheckRole(ctx, &authn.User{Name: "root", Groups: []string{authn.GroupMasters}}, "clusterroles", "", "r", nodeRules, true); err != nil {
		t.Errorf("system:masters: %v", err)
	}
	if err := g.CheckRole(ctx, robot, "clusterroles", "", "agg", nil, true); !apierrors.IsForbidden(err) {
		t.Errorf("aggregationRule without cluster-admin: %v", err)
	}
	// Bindings: to a role whose rules alice holds, yes; to editor, no.
	if err := g.CheckBinding(ctx, alice, "rolebindings", "dev", "b", ref("Role", "pod-reader")); err != nil {
		t.Errorf("binding a role alice holds: %v", err)
	}
	if err := g.CheckBinding(ctx, alice, "rolebindings", "dev", "b", ref("ClusterRole", "editor")); !apierrors.IsForbidden(err) {
		t.Errorf("binding editor: %v", err)
	}
	if err := g.CheckBinding(ctx, alice, "rolebindings", "dev", "b", ref("ClusterRole", "gone")); !apierrors.IsNotFound(err) {
		t.Errorf("binding a missing role: %v", err)
	}
	// The escalate and bind verbs let a user past the check.
	verbs := rbac.New(rbac.NewStaticSource(
		&rbacv1.ClusterRole{ObjectMeta: meta("", "granter"), Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"escalate", "bind"}, APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"roles", "clusterroles"}}}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: meta("", "granters"), RoleRef: ref("ClusterRole", "granter"),
			Subjects: []rbacv1.Subject{{Kind: "User", Name: "alice"}}},
	))
	g = &rbac.Guard{Authorizer: verbs, Resolver: verbs.Resolver()}
	if err := g.CheckRole(ctx, alice, "roles", "dev", "r", nodeRules, false); err != nil {
		t.Errorf("with escalate: %v", err)
	}
	if err := g.CheckBinding(ctx, alice, "clusterrolebindings", "", "b", ref("ClusterRole", "cluster-admin")); err != nil {
		t.Errorf("with bind: %v", err)
	}
	if err := g.CheckBinding(ctx, bob, "clusterrolebindings", "", "b", ref("ClusterRole", "granter")); !apierrors.IsForbidden(err) {
		t.Errorf("bob binding granter: %v", err)
	}
}
