package integration

import (
	"context"
	"strings"
	"testing"

	admv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/internal/testserver"
)

func policyDeployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}}}
}

func deploymentRules() *admv1.MatchResources {
	return &admv1.MatchResources{ResourceRules: []admv1.NamedRuleWithOperations{{RuleWithOperations: admv1.RuleWithOperations{
		Operations: []admv1.OperationType{admv1.Create, admv1.Update},
		Rule:       admv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}}}}}}
}

// TestValidatingAdmissionPolicy: a policy bound to a labelled namespace
// refuses Deployments over the replica limit a ConfigMap param gives,
// with upstream's message (from messageExpression, over variables) and
// 422 Invalid; a Warn binding only warns; other namespaces and other
// resources are untouched; a policy that does not compile is refused.
func TestValidatingAdmissionPolicy(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	c := s.Client
	for _, ns := range []string{"limited", "free"} {
		if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
			Labels: map[string]string{"limited": map[string]string{"limited": "true", "free": "false"}[ns]}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CoreV1().ConfigMaps("limited").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "limits"},
		Data: map[string]string{"maxReplicas": "3"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := c.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, &admv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "replica-limit"},
		Spec: admv1.ValidatingAdmissionPolicySpec{
			ParamKind:        &admv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"},
			MatchConstraints: deploymentRules(),
			MatchConditions:  []admv1.MatchCondition{{Name: "not-exempt", Expression: "!has(object.metadata.labels) || !('exempt' in object.metadata.labels)"}},
			Variables: []admv1.Variable{{Name: "max", Expression: "int(params.data.maxReplicas)"},
				{Name: "over", Expression: "object.spec.replicas > variables.max"}},
			Validations: []admv1.Validation{{Expression: "!variables.over",
				MessageExpression: "'replicas ' + string(object.spec.replicas) + ' over the limit ' + string(variables.max)"}},
		}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, &admv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "replica-limit-binding"},
		Spec: admv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "replica-limit",
			ParamRef:          &admv1.ParamRef{Name: "limits", ParameterNotFoundAction: new(admv1.DenyAction)},
			MatchResources:    &admv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"limited": "true"}}},
			ValidationActions: []admv1.ValidationAction{admv1.Deny}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	deployments := c.AppsV1().Deployments("limited")
	_, err = deployments.Create(ctx, policyDeployment("big", 5), metav1.CreateOptions{})
	want := `deployments.apps "big" is forbidden: ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-binding' denied request: replicas 5 over the limit 3`
	if !apierrors.IsInvalid(err) || err.Error() != want {
		t.Fatalf("create over the limit: %v, want 422 %q", err, want)
	}
	if _, err := deployments.Create(ctx, policyDeployment("small", 3), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create within the limit: %v", err)
	}
	exempt := policyDeployment("exempt", 9)
	exempt.Labels = map[string]string{"exempt": "yes"}
	if _, err := deployments.Create(ctx, exempt, metav1.CreateOptions{}); err != nil {
		t.Fatalf("matchConditions false: %v", err)
	}
	if _, err := c.AppsV1().Deployments("free").Create(ctx, policyDeployment("big", 5), metav1.CreateOptions{}); err != nil {
		t.Fatalf("namespace not selected: %v", err)
	}
	// Updates are checked too.
	small, err := deployments.Get(ctx, "small", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	small.Spec.Replicas = new(int32(4))
	if _, err := deployments.Update(ctx, small, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Fatalf("update over the limit: %v", err)
	}
	// A higher limit in the param applies to the next request.
	cm, _ := c.CoreV1().ConfigMaps("limited").Get(ctx, "limits", metav1.GetOptions{})
	cm.Data["maxReplicas"] = "10"
	if _, err := c.CoreV1().ConfigMaps("limited").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := deployments.Create(ctx, policyDeployment("big", 5), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create under the raised limit: %v", err)
	}

	// Warn: the write succeeds with upstream's warning.
	_, err = c.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, &admv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "no-latest"},
		Spec: admv1.ValidatingAdmissionPolicySpec{MatchConstraints: deploymentRules(),
			Validations: []admv1.Validation{{Expression: "object.spec.template.spec.containers.all(c, !c.image.endsWith(':latest'))",
				Message: "no latest images", Reason: new(metav1.StatusReasonForbidden)}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	binding := &admv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "no-latest"},
		Spec: admv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "no-latest", ValidationActions: []admv1.ValidationAction{admv1.Warn}}}
	if binding, err = c.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	warnings := &warningRecorder{}
	cfg := rest.CopyConfig(s.RESTConfig)
	cfg.WarningHandler = warnings
	wc := kubernetes.NewForConfigOrDie(cfg)
	latest := policyDeployment("latest", 1)
	latest.Spec.Template.Spec.Containers[0].Image = "nginx:latest"
	if _, err := wc.AppsV1().Deployments("free").Create(ctx, latest, metav1.CreateOptions{}); err != nil {
		t.Fatalf("warn only: %v", err)
	}
	if want := "Validation failed for ValidatingAdmissionPolicy 'no-latest' with binding 'no-latest': no latest images"; !slicesContains(warnings.msgs, want) {
		t.Errorf("warnings %q, want %q", warnings.msgs, want)
	}
	// Deny with reason Forbidden: 403.
	binding.Spec.ValidationActions = []admv1.ValidationAction{admv1.Deny}
	if _, err := c.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Update(ctx, binding, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	latest.Name = "latest2"
	if _, err := c.AppsV1().Deployments("free").Create(ctx, latest, metav1.CreateOptions{}); !apierrors.IsForbidden(err) ||
		!strings.HasSuffix(err.Error(), "denied request: no latest images") {
		t.Fatalf("reason Forbidden: %v", err)
	}

	// Expressions are compiled on write.
	_, err = c.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, &admv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "broken"},
		Spec: admv1.ValidatingAdmissionPolicySpec{MatchConstraints: deploymentRules(),
			Validations: []admv1.Validation{{Expression: "object.spec.replicas >"}}}}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.validations[0].expression: Invalid value: \"object.spec.replicas >\": compilation failed") {
		t.Fatalf("invalid expression: %v", err)
	}
}

type warningRecorder struct{ msgs []string }

func (w *warningRecorder) HandleWarningHeader(code int, agent, msg string) {
	w.msgs = append(w.msgs, msg)
}

func slicesContains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestMutatingAdmissionPolicy: an ApplyConfiguration policy adds a label
// and sets replicas (merged, the rest of the object kept); a JSONPatch
// policy adds an annotation; objects outside the binding are untouched.
func TestMutatingAdmissionPolicy(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	c := s.Client
	if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "mutated",
		Labels: map[string]string{"mutate": "true"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	policies := c.AdmissionregistrationV1().MutatingAdmissionPolicies()
	bindings := c.AdmissionregistrationV1().MutatingAdmissionPolicyBindings()
	for name, mu := range map[string]admv1.Mutation{
		"a-label": {PatchType: admv1.PatchTypeApplyConfiguration, ApplyConfiguration: &admv1.ApplyConfiguration{
			Expression: `Object{metadata: Object.metadata{labels: {"team": "blue"}}, spec: Object.spec{replicas: 1337}}`}},
		"b-annotation": {PatchType: admv1.PatchTypeJSONPatch, JSONPatch: &admv1.JSONPatch{
			Expression: `[JSONPatch{op: "add", path: "/metadata/annotations", value: {"owner": variables.owner}}]`}},
	} {
		_, err := policies.Create(ctx, &admv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: admv1.MutatingAdmissionPolicySpec{
				MatchConstraints:   deploymentRules(),
				Variables:          []admv1.Variable{{Name: "owner", Expression: "request.userInfo.username"}},
				Mutations:          []admv1.Mutation{mu},
				ReinvocationPolicy: admv1.NeverReinvocationPolicy}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = bindings.Create(ctx, &admv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: admv1.MutatingAdmissionPolicyBindingSpec{PolicyName: name,
				MatchResources: &admv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"mutate": "true"}}}}},
			metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	d := policyDeployment("web", 2)
	d.Labels = map[string]string{"app": "web"}
	got, err := c.AppsV1().Deployments("mutated").Create(ctx, d, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *got.Spec.Replicas != 1337 || got.Labels["team"] != "blue" || got.Labels["app"] != "web" ||
		got.Annotations["owner"] == "" || got.Spec.Template.Spec.Containers[0].Image != "nginx" {
		t.Fatalf("mutated deployment: replicas %d labels %v annotations %v", *got.Spec.Replicas, got.Labels, got.Annotations)
	}
	stored, err := c.AppsV1().Deployments("mutated").Get(ctx, "web", metav1.GetOptions{})
	if err != nil || stored.Labels["team"] != "blue" {
		t.Fatalf("stored: %v %v", stored.Labels, err)
	}
	other, err := c.AppsV1().Deployments("default").Create(ctx, policyDeployment("web", 2), metav1.CreateOptions{})
	if err != nil || *other.Spec.Replicas != 2 || other.Labels["team"] != "" {
		t.Fatalf("outside the binding: %v %v", other, err)
	}
	// A mutation that leaves an invalid object is refused as the
	// strategy's validation would refuse it.
	if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "broken",
		Labels: map[string]string{"break": "true"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := policies.Create(ctx, &admv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "negative"},
		Spec: admv1.MutatingAdmissionPolicySpec{MatchConstraints: deploymentRules(),
			Mutations: []admv1.Mutation{{PatchType: admv1.PatchTypeApplyConfiguration,
				ApplyConfiguration: &admv1.ApplyConfiguration{Expression: "Object{spec: Object.spec{replicas: -1}}"}}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := bindings.Create(ctx, &admv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "negative"},
		Spec: admv1.MutatingAdmissionPolicyBindingSpec{PolicyName: "negative",
			MatchResources: &admv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"break": "true"}}}}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AppsV1().Deployments("broken").Create(ctx, policyDeployment("web", 2), metav1.CreateOptions{}); !apierrors.IsInvalid(err) ||
		!strings.Contains(err.Error(), "spec.replicas") {
		t.Fatalf("mutated into an invalid object: %v", err)
	}

	// A mutation that does not compile is refused on write.
	_, err = policies.Create(ctx, &admv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "broken"},
		Spec: admv1.MutatingAdmissionPolicySpec{MatchConstraints: deploymentRules(),
			Mutations: []admv1.Mutation{{PatchType: admv1.PatchTypeApplyConfiguration,
				ApplyConfiguration: &admv1.ApplyConfiguration{Expression: "Object{spec: "}}}}}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.mutations[0].applyConfiguration.expression") {
		t.Fatalf("invalid mutation: %v", err)
	}
}

// TestWebhookMatchConditionsCompiled: webhook configurations whose
// matchConditions do not compile are refused with upstream's field
// error; valid ones are stored and can be updated.
func TestWebhookMatchConditionsCompiled(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	c := s.Client.AdmissionregistrationV1()
	none := admv1.SideEffectClassNone
	hook := func(expr string) admv1.ValidatingWebhook {
		return admv1.ValidatingWebhook{Name: "check.example.com", SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
			ClientConfig:    admv1.WebhookClientConfig{URL: new("https://example.com/check")},
			MatchConditions: []admv1.MatchCondition{{Name: "cond", Expression: expr}}}
	}
	_, err := c.ValidatingWebhookConfigurations().Create(ctx, &admv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "bad"}, Webhooks: []admv1.ValidatingWebhook{hook("... [] bad expression")}}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `webhooks[0].matchConditions[0].expression: Invalid value: "... [] bad expression": compilation failed: ERROR: <input>:1:2: Syntax error`) {
		t.Fatalf("invalid matchConditions: %v", err)
	}
	mhook := admv1.MutatingWebhook{Name: "m.example.com", SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
		ClientConfig:    admv1.WebhookClientConfig{URL: new("https://example.com/m")},
		MatchConditions: []admv1.MatchCondition{{Name: "cond", Expression: "request.name + 'x'"}}}
	_, err = c.MutatingWebhookConfigurations().Create(ctx, &admv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "bad"}, Webhooks: []admv1.MutatingWebhook{mhook}}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "must evaluate to bool but got string") {
		t.Fatalf("non-bool matchConditions: %v", err)
	}
	cfg, err := c.ValidatingWebhookConfigurations().Create(ctx, &admv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "good"}, Webhooks: []admv1.ValidatingWebhook{hook("request.userInfo.username != 'skip'")}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Webhooks[0].MatchConditions = append(cfg.Webhooks[0].MatchConditions, admv1.MatchCondition{Name: "cond", Expression: "true"})
	if _, err := c.ValidatingWebhookConfigurations().Update(ctx, cfg, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) ||
		!strings.Contains(err.Error(), "webhooks[0].matchConditions[1].name: Duplicate value") {
		t.Fatalf("duplicate condition name: %v", err)
	}
}
