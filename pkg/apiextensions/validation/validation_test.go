package validation

import (
	"encoding/json"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func props(t *testing.T, js string) *apiextensionsv1.JSONSchemaProps {
	t.Helper()
	var p apiextensionsv1.JSONSchemaProps
	if err := json.Unmarshal([]byte(js), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

const goodSchema = `{"type":"object","properties":{"spec":{"type":"object","properties":{"replicas":{"type":"integer","default":1}}},"status":{"type":"object"}}}`

// newCRD is a valid, defaulted CRD; mutate it to break one thing.
func newCRD(t *testing.T) *apiextensionsv1.CustomResourceDefinition {
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets.example.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "example.com",
			Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Kind: "Widget", ShortNames: []string{"wd"}},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema:       &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: props(t, goodSchema)},
				Subresources: &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}},
			}},
		},
	}
	SetDefaults(crd)
	return crd
}

func TestSetDefaults(t *testing.T) {
	crd := newCRD(t)
	n := crd.Spec.Names
	if n.Singular != "widget" || n.ListKind != "WidgetList" {
		t.Errorf("names = %+v", n)
	}
	if crd.Spec.Conversion == nil || crd.Spec.Conversion.Strategy != apiextensionsv1.NoneConverter {
		t.Errorf("conversion = %+v", crd.Spec.Conversion)
	}
	if got := crd.Status.StoredVersions; len(got) != 1 || got[0] != "v1" {
		t.Errorf("storedVersions = %v", got)
	}
	hook := &apiextensionsv1.CustomResourceDefinition{Spec: apiextensionsv1.CustomResourceDefinitionSpec{Conversion: &apiextensionsv1.CustomResourceConversion{
		Strategy: apiextensionsv1.WebhookConverter,
		Webhook:  &apiextensionsv1.WebhookConversion{ClientConfig: &apiextensionsv1.WebhookClientConfig{Service: &apiextensionsv1.ServiceReference{Name: "s", Namespace: "n"}}},
	}}}
	SetDefaults(hook)
	if p := hook.Spec.Conversion.Webhook.ClientConfig.Service.Port; p == nil || *p != 443 {
		t.Errorf("service port = %v", p)
	}
}

func TestValidateCreate(t *testing.T) {
	v1 := func(c *apiextensionsv1.CustomResourceDefinition) *apiextensionsv1.CustomResourceDefinitionVersion {
		return &c.Spec.Versions[0]
	}
	tests := []struct {
		name   string
		mutate func(*apiextensionsv1.CustomResourceDefinition)
		want   []string
	}{
		{"valid", func(*apiextensionsv1.CustomResourceDefinition) {}, nil},
		{"name must be plural.group", func(c *apiextensionsv1.CustomResourceDefinition) { c.Name = "things.example.com" },
			[]string{`metadata.name: Invalid value: "things.example.com": must be spec.names.plural+"."+spec.group`}},
		{"group needs a dot", func(c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Group = "example"
			c.Name = "widgets.example"
		},
			[]string{`spec.group: Invalid value: "example": should be a domain with at least one dot`}},
		{"scope", func(c *apiextensionsv1.CustomResourceDefinition) { c.Spec.Scope = "Global" },
			[]string{`spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"`}},
		{"names", func(c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Names.Plural, c.Name = "Widgets", "Widgets.example.com"
			c.Spec.Names.ShortNames = []string{"w_d"}
			c.Spec.Names.ListKind = "Widget"
		}, []string{
			`metadata.name: Invalid value: "Widgets.example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			`spec.names.plural: Invalid value: "Widgets": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
			`spec.names.shortNames[0]: Invalid value: "w_d": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
			`spec.names.listKind: Invalid value: "Widget": kind and listKind may not be the same`,
		}},
		{"no storage version", func(c *apiextensionsv1.CustomResourceDefinition) { v1(c).Storage = false },
			[]string{`must have exactly one version marked as storage version`}},
		{"storage version must be stored", func(c *apiextensionsv1.CustomResourceDefinition) { c.Status.StoredVersions = []string{"v0"} },
			[]string{`status.storedVersions: Invalid value: ["v0"]: must have the storage version v1`,
				`status.storedVersions[0]: Invalid value: "v0": missing from spec.versions`}},
		{"duplicate version names", func(c *apiextensionsv1.CustomResourceDefinition) {
			v2 := *v1(c)
			v2.Storage = false
			c.Spec.Versions = append(c.Spec.Versions, v2)
		}, []string{`must contain unique version names`}},
		{"version name", func(c *apiextensionsv1.CustomResourceDefinition) {
			v1(c).Name = "V1"
			c.Status.StoredVersions = []string{"V1"}
		},
			[]string{`spec.versions[0].name: Invalid value: "V1": a DNS-1035 label`}},
		{"schema required", func(c *apiextensionsv1.CustomResourceDefinition) { v1(c).Schema = nil },
			[]string{`spec.versions[0].schema.openAPIV3Schema: Required value`}},
		{"non-structural schema reported at spec.validation when shared", func(c *apiextensionsv1.CustomResourceDefinition) {
			v1(c).Schema.OpenAPIV3Schema = props(t, `{"type":"object","properties":{"spec":{"properties":{"x":{"type":"string"}}}}}`)
		}, []string{`spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields`}},
		{"per-version schemas are reported per version", func(c *apiextensionsv1.CustomResourceDefinition) {
			v2 := *v1(c)
			v2.Name, v2.Storage = "v2", false
			v2.Schema = &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: props(t, `{"type":"object","properties":{"a":{"type":"string","uniqueItems":true}}}`)}
			c.Spec.Versions = append(c.Spec.Versions, v2)
		}, []string{`spec.versions[1].schema.openAPIV3Schema.properties[a].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`}},
		{"status subresource limits the root", func(c *apiextensionsv1.CustomResourceDefinition) {
			v1(c).Schema.OpenAPIV3Schema.AnyOf = []apiextensionsv1.JSONSchemaProps{{Required: []string{"spec"}}}
		}, []string{`only [Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations] fields are allowed at the root of the schema if the status subresource is enabled`}},
		{"bad default", func(c *apiextensionsv1.CustomResourceDefinition) {
			v1(c).Schema.OpenAPIV3Schema = props(t, `{"type":"object","properties":{"spec":{"type":"object","properties":{"r":{"type":"integer","default":"x"}}}}}`)
		}, []string{`spec.validation.openAPIV3Schema.properties[spec].properties[r].default: Invalid value: "string":  in body must be of type integer: "string"`}},
		{"defaults forbidden in metadata", func(c *apiextensionsv1.CustomResourceDefinition) {
			v1(c).Schema.OpenAPIV3Schema = props(t, `{"type":"object","properties":{"metadata":{"type":"object","default":{}}}}`)
		}, []string{`spec.validation.openAPIV3Schema.properties[metadata].default: Forbidden: must not be set in top-level metadata`}},
		{"list-type map needs keys", func(c *apiextensionsv1.CustomResourceDefinition) {
			v1(c).Schema.OpenAPIV3Schema = props(t, `{"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"map","items":{"type":"object","properties":{"k":{"type":"string"}}}}}}`)
		}, []string{`spec.validation.openAPIV3Schema.properties[l].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`}},
		{"unsupported keyword", func(c *apiextensionsv1.CustomResourceDefinition) {
			ref := "#/x"
			v1(c).Schema.OpenAPIV3Schema.Properties["spec"] = apiextensionsv1.JSONSchemaProps{Type: "object", Ref: &ref}
		}, []string{`spec.validation.openAPIV3Schema.properties[spec].$ref: Forbidden: $ref is not supported`}},
		{"scale paths", func(c *apiextensionsv1.CustomResourceDefinition) {
			v1(c).Subresources.Scale = &apiextensionsv1.CustomResourceSubresourceScale{SpecReplicasPath: "spec.replicas", StatusReplicasPath: ".spec.replicas"}
		}, []string{
			`spec.subresources.scale.specReplicasPath: Invalid value: "spec.replicas": must be a simple json path starting with .`,
			`spec.subresources.scale.statusReplicasPath: Invalid value: ".spec.replicas": should be a json path under .status`,
		}},
		{"printer columns", func(c *apiextensionsv1.CustomResourceDefinition) {
			v1(c).AdditionalPrinterColumns = []apiextensionsv1.CustomResourceColumnDefinition{{Name: "Age", Type: "time", JSONPath: "metadata.x"}}
		}, []string{
			`spec.additionalPrinterColumns[0].type: Invalid value: "time": must be one of boolean,date,integer,number,string`,
			`spec.additionalPrinterColumns[0].JSONPath: Invalid value: "metadata.x": must be a simple json path starting with .`,
		}},
		{"conversion strategy", func(c *apiextensionsv1.CustomResourceDefinition) { c.Spec.Conversion.Strategy = "Magic" },
			[]string{`spec.conversion.strategy: Unsupported value: "Magic": supported values: "None", "Webhook"`}},
		{"webhook conversion needs a client config", func(c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Conversion = &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.WebhookConverter}
		}, []string{
			`spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook`,
			`spec.conversion.conversionReviewVersions: Required value`,
		}},
		{"webhook url", func(c *apiextensionsv1.CustomResourceDefinition) {
			u := "http://x/convert"
			c.Spec.Conversion = &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.WebhookConverter, Webhook: &apiextensionsv1.WebhookConversion{
				ClientConfig: &apiextensionsv1.WebhookClientConfig{URL: &u}, ConversionReviewVersions: []string{"v9"}}}
		}, []string{
			`spec.conversion.webhookClientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]`,
			`spec.conversion.conversionReviewVersions: Invalid value: ["v9"]: must include at least one of v1, v1beta1`,
		}},
		{"protected group needs approval", func(c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Group, c.Name = "x.k8s.io", "widgets.x.k8s.io"
		}, []string{`metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111`}},
		{"preserveUnknownFields", func(c *apiextensionsv1.CustomResourceDefinition) { c.Spec.PreserveUnknownFields = true }, []string{
			`spec.preserveUnknownFields: Invalid value: true: must be false in order to use defaults in the schema`,
			`spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			crd := newCRD(t)
			tt.mutate(crd)
			assertContains(t, ValidateCreate(crd), tt.want)
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	old := newCRD(t)
	old.Status.Conditions = []apiextensionsv1.CustomResourceDefinitionCondition{{Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue}}
	old.Status.StoredVersions = []string{"v1beta1", "v1"}

	crd := old.DeepCopy()
	crd.Spec.Group, crd.Name = "other.com", "widgets.other.com"
	crd.Spec.Scope = apiextensionsv1.ClusterScoped
	crd.Spec.Names.Kind, crd.Spec.Names.ListKind = "Gadget", "GadgetList"
	assertContains(t, ValidateUpdate(crd, old), []string{
		`spec.scope: Invalid value: "Cluster": field is immutable`,
		`spec.names.kind: Invalid value: "Gadget": field is immutable`,
		`spec.group: Invalid value: "other.com": field is immutable`,
		`status.storedVersions[0]: Invalid value: "v1beta1": missing from spec.versions; v1beta1 was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in v1beta1 and removes v1beta1 from status.storedVersions`,
	})

	// Not yet established: scope and kind may change.
	old.Status.Conditions = nil
	old.Status.StoredVersions = []string{"v1"}
	crd = old.DeepCopy()
	crd.Spec.Scope = apiextensionsv1.ClusterScoped
	assertContains(t, ValidateUpdate(crd, old), nil)
}

// assertContains checks that errs has exactly len(want) entries (or none
// for want == nil), each containing the corresponding want substring.
func assertContains(t *testing.T, errs field.ErrorList, want []string) {
	t.Helper()
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	if want == nil {
		if len(got) > 0 {
			t.Fatalf("unexpected errors:\n  %s", strings.Join(got, "\n  "))
		}
		return
	}
	if len(got) != len(want) {
		t.Errorf("got %d errors, want %d:\n  %s", len(got), len(want), strings.Join(got, "\n  "))
	}
	all := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("missing %q in:\n  %s", w, strings.Join(got, "\n  "))
		}
	}
}
