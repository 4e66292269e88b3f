package admissionpolicy

import (
	"reflect"
	"testing"

	admv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

func TestRuleMatches(t *testing.T) {
	deployments := api.Resource{GroupVersion: schema.GroupVersion{Group: "apps", Version: "v1"}, Name: "deployments", Namespaced: true}
	nodes := api.Resource{GroupVersion: schema.GroupVersion{Version: "v1"}, Name: "nodes"}
	rule := func(ops []admv1.OperationType, res string, scope admv1.ScopeType) admv1.RuleWithOperations {
		return admv1.RuleWithOperations{Operations: ops, Rule: admv1.Rule{APIGroups: []string{"*"}, APIVersions: []string{"v1"},
			Resources: []string{res}, Scope: &scope}}
	}
	create := []admv1.OperationType{admv1.Create}
	all := []admv1.OperationType{admv1.OperationAll}
	for _, tc := range []struct {
		rule admv1.RuleWithOperations
		res  api.Resource
		sub  string
		op   generic.Operation
		want bool
	}{
		{rule(create, "deployments", admv1.AllScopes), deployments, "", generic.Create, true},
		{rule(create, "deployments", admv1.AllScopes), deployments, "", generic.Update, false},
		{rule(all, "deployments", admv1.AllScopes), deployments, "status", generic.Update, false},
		{rule(all, "deployments/status", admv1.AllScopes), deployments, "status", generic.Update, true},
		{rule(all, "*/status", admv1.AllScopes), deployments, "status", generic.Update, true},
		{rule(all, "*", admv1.AllScopes), deployments, "scale", generic.Update, false},
		{rule(all, "*/*", admv1.AllScopes), deployments, "scale", generic.Update, true},
		{rule(all, "*", admv1.ClusterScope), deployments, "", generic.Create, false},
		{rule(all, "*", admv1.ClusterScope), nodes, "", generic.Create, true},
		{rule(all, "*", admv1.NamespacedScope), nodes, "", generic.Create, false},
	} {
		a := &generic.Attributes{Operation: tc.op, Resource: tc.res, Subresource: tc.sub}
		if got := ruleMatches(tc.rule, a); got != tc.want {
			t.Errorf("%v on %s/%s %s: %v, want %v", tc.rule.Resources, tc.res.Name, tc.sub, tc.op, got, tc.want)
		}
	}
}

func TestApplyConfigurationMerge(t *testing.T) {
	cur := map[string]any{
		"metadata": map[string]any{"name": "web", "labels": map[string]any{"app": "web"}, "annotations": map[string]any{"old": "x"}},
		"spec": map[string]any{"replicas": int64(1), "containers": []any{
			map[string]any{"name": "a", "image": "a:1"}, map[string]any{"name": "b", "image": "b:1"}},
			"args": []any{"x", "y"}},
	}
	patch := map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"team": "blue"}, "annotations": nil},
		"spec": map[string]any{"replicas": int64(3), "containers": []any{
			map[string]any{"name": "b", "image": "b:2"}, map[string]any{"name": "c", "image": "c:1"}},
			"args": []any{"z"}},
	}
	got, err := applyConfiguration(cur, patch)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"metadata": map[string]any{"name": "web", "labels": map[string]any{"app": "web", "team": "blue"}},
		"spec": map[string]any{"replicas": int64(3), "containers": []any{
			map[string]any{"name": "a", "image": "a:1"}, map[string]any{"name": "b", "image": "b:2"}, map[string]any{"name": "c", "image": "c:1"}},
			"args": []any{"z"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merge:\n got %v\nwant %v", got, want)
	}
}
