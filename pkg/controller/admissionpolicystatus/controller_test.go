package admissionpolicystatus_test

import (
	"context"
	"strings"
	"testing"

	admv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controllermanager"
)

// TestTypeChecking: each policy gets status.typeChecking for its
// generation — empty for a well-typed policy, upstream's warnings (field
// and overload) for a confused one.
func TestTypeChecking(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := controllermanager.DefaultConfig()
	cfg.RESTConfig, cfg.LeaderElect, cfg.Controllers = s.RESTConfig, false, []string{"validatingadmissionpolicy-status-controller"}
	go func() { _ = controllermanager.Run(ctx, cfg) }()
	policies := s.Client.AdmissionregistrationV1().ValidatingAdmissionPolicies()

	mk := func(name string, v admv1.Validation) {
		t.Helper()
		_, err := policies.Create(ctx, &admv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: admv1.ValidatingAdmissionPolicySpec{
				MatchConstraints: &admv1.MatchResources{ResourceRules: []admv1.NamedRuleWithOperations{{RuleWithOperations: admv1.RuleWithOperations{
					Operations: []admv1.OperationType{admv1.Create},
					Rule:       admv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}}}}}},
				Validations: []admv1.Validation{v}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	mk("correct", admv1.Validation{Expression: "object.spec.replicas > 1"})
	mk("confused", admv1.Validation{Expression: "object.spec.replicas > '1'", MessageExpression: "'got ' + object.spec.replicas"})

	checked := func(name string) *admv1.TypeChecking {
		var tc *admv1.TypeChecking
		controllertest.Eventually(t, name+" type-checked", func(ctx context.Context) (bool, error) {
			p, err := policies.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			tc = p.Status.TypeChecking
			return tc != nil && p.Status.ObservedGeneration == p.Generation, nil
		})
		return tc
	}
	if tc := checked("correct"); len(tc.ExpressionWarnings) != 0 {
		t.Errorf("correct policy warnings: %+v", tc.ExpressionWarnings)
	}
	tc := checked("confused")
	if len(tc.ExpressionWarnings) != 2 ||
		tc.ExpressionWarnings[0].FieldRef != "spec.validations[0].expression" ||
		!strings.Contains(tc.ExpressionWarnings[0].Warning, "found no matching overload for '_>_' applied to '(int, string)'") ||
		tc.ExpressionWarnings[1].FieldRef != "spec.validations[0].messageExpression" ||
		!strings.Contains(tc.ExpressionWarnings[1].Warning, "found no matching overload for '_+_' applied to '(string, int)'") {
		t.Errorf("confused policy warnings: %+v", tc.ExpressionWarnings)
	}
}
