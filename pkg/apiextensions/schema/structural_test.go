package schema

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestIsStructural(t *testing.T) {
	root := field.NewPath("spec", "versions").Index(0).Child("schema", "openAPIV3Schema")
	tests := []struct {
		name, schema string
		want         []string
	}{{
		name:   "structural",
		schema: `{"type":"object","properties":{"metadata":{"type":"object","properties":{"name":{"type":"string","maxLength":10}}},"spec":{"type":"object","properties":{"port":{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]},"any":{"x-kubernetes-preserve-unknown-fields":true},"e":{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}},"anyOf":[{"required":["port"]},{"properties":{"port":{"minLength":1}}}]}}}`,
	}, {
		name:   "missing types",
		schema: `{"properties":{"a":{},"l":{"type":"array","items":{}},"m":{"type":"array"}}}`,
		want: []string{
			`spec.versions[0].schema.openAPIV3Schema.properties[a].type: Required value: must not be empty for specified object fields`,
			`spec.versions[0].schema.openAPIV3Schema.properties[l].items.type: Required value: must not be empty for specified array items`,
			`spec.versions[0].schema.openAPIV3Schema.properties[m].items: Required value: must be specified`,
			`spec.versions[0].schema.openAPIV3Schema.type: Required value: must not be empty at the root`,
		},
	}, {
		name:   "root must be an object without additionalProperties",
		schema: `{"type":"string","additionalProperties":{"type":"string"}}`,
		want: []string{
			`spec.versions[0].schema.openAPIV3Schema.additionalProperties: Forbidden: must not be used at the root`,
			`spec.versions[0].schema.openAPIV3Schema.type: Invalid value: "string": must be object at the root`,
		},
	}, {
		name:   "value validations may not declare structure",
		schema: `{"type":"object","properties":{"a":{"type":"string","allOf":[{"type":"string","description":"d","nullable":true,"default":"x"}]}},"anyOf":[{"properties":{"b":{"minLength":1}}}]}`,
		want: []string{
			`spec.versions[0].schema.openAPIV3Schema.properties[a].allOf[0].default: Forbidden: must be undefined to be structural`,
			`spec.versions[0].schema.openAPIV3Schema.properties[a].allOf[0].description: Forbidden: must be empty to be structural`,
			`spec.versions[0].schema.openAPIV3Schema.properties[a].allOf[0].nullable: Forbidden: must be false to be structural`,
			`spec.versions[0].schema.openAPIV3Schema.properties[a].allOf[0].type: Forbidden: must be empty to be structural`,
			`spec.versions[0].schema.openAPIV3Schema.properties[b]: Required value: because it is defined in spec.versions[0].schema.openAPIV3Schema.anyOf[0].properties[b]`,
		},
	}, {
		name:   "metadata may only declare name and generateName",
		schema: `{"type":"object","properties":{"metadata":{"type":"object","properties":{"labels":{"type":"object"}}}}}`,
		want: []string{
			`spec.versions[0].schema.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
		},
	}, {
		name:   "embedded resources and int-or-string",
		schema: `{"type":"object","properties":{"e":{"type":"string","x-kubernetes-embedded-resource":true},"f":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"kind":{"type":"integer"}}},"i":{"x-kubernetes-int-or-string":true,"x-kubernetes-preserve-unknown-fields":true}}}`,
		want: []string{
			`spec.versions[0].schema.openAPIV3Schema.properties[e].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`,
			`spec.versions[0].schema.openAPIV3Schema.properties[e].type: Invalid value: "string": must be object if x-kubernetes-embedded-resource is true`,
			`spec.versions[0].schema.openAPIV3Schema.properties[f].properties[kind].type: Invalid value: "integer": must be string`,
			`spec.versions[0].schema.openAPIV3Schema.properties[i].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true`,
		},
	}, {
		name:   "bad pattern",
		schema: `{"type":"object","properties":{"a":{"type":"string","pattern":"("}}}`,
		want: []string{
			"spec.versions[0].schema.openAPIV3Schema.properties[a].pattern: Invalid value: \"(\": must be a valid regular expression, but isn't: error parsing regexp: missing closing ): `(`",
		},
	}, {
		name:   "unsupported keyword",
		schema: `{"type":"object","$ref":"#/x"}`,
		want:   []string{`spec.versions[0].schema.openAPIV3Schema: Invalid value: "": OpenAPIV3Schema '$ref' is not supported`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertErrors(t, IsStructural(root, mustProps(t, tt.schema)), tt.want)
		})
	}
}

func TestValidateDefaults(t *testing.T) {
	root := field.NewPath("spec", "versions").Index(0).Child("schema", "openAPIV3Schema")
	schema := `{"type":"object","properties":{"spec":{"type":"object","properties":{
	  "r":{"type":"integer","default":"one"},
	  "o":{"type":"object","default":{"a":"x","junk":1},"properties":{"a":{"type":"string","maxLength":0}}},
	  "ok":{"type":"string","default":"fine"}}}}}`
	assertErrors(t, ValidateDefaults(root, mustProps(t, schema)), []string{
		`spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[o].default: Invalid value: {"a":"x","junk":1}: must not have unknown fields`,
		`spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[o].default.a: Too long: may not be more than 0 bytes`,
		`spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[r].default: Invalid value: "string":  in body must be of type integer: "string"`,
	})
}
