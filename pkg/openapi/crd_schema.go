package openapi

import (
	"encoding/json"
	"reflect"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// Built-in definitions every custom resource schema refers to.
var (
	objectMetaModel = metav1.ObjectMeta{}.OpenAPIModelName()
	listMetaModel   = metav1.ListMeta{}.OpenAPIModelName()
	typeMetaModel   = metav1.TypeMeta{}.OpenAPIModelName()

	objectMetaDoc = metav1.PartialObjectMetadata{}.SwaggerDoc()["metadata"]
	listMetaDoc   = metav1.PartialObjectMetadataList{}.SwaggerDoc()["metadata"]
)

const (
	v2RefPrefix = "#/definitions/"
	v3RefPrefix = "#/components/schemas/"

	extPreserveUnknownFields = "x-kubernetes-preserve-unknown-fields"
	extEmbeddedResource      = "x-kubernetes-embedded-resource"
	extIntOrString           = "x-kubernetes-int-or-string"
	extSelectableFields      = "x-kubernetes-selectable-fields"
)

// crdSchemas builds the definitions of custom resources for one OpenAPI
// version, as upstream's apiextensions-apiserver publishes them.
type crdSchemas struct {
	// v2 selects Swagger 2.0: no nullable, no anyOf/allOf/oneOf/not,
	// and nothing below x-kubernetes-preserve-unknown-fields (kubectl's
	// v2 validation would reject unknown fields otherwise).
	v2 bool
	// typeMeta holds the apiVersion and kind properties of TypeMeta's
	// generated definition.
	typeMeta map[string]spec.Schema
}

// ref is the reference to a definition in the document.
func (c crdSchemas) ref(model string) string {
	if c.v2 {
		return v2RefPrefix + model
	}
	return v3RefPrefix + model
}

// kind returns the definition of cr's kind. Without a schema, with a
// schema that is not structural, or in v2 with unknown fields preserved at
// the root it is a bare object (adding properties would make kubectl's v2
// validation reject every other field); otherwise it is the CRD's schema
// with apiVersion, kind and metadata added. It always carries
// x-kubernetes-group-version-kind, which kubectl looks kinds up by.
func (c crdSchemas) kind(cr *customResource) *spec.Schema {
	var s *spec.Schema
	switch {
	case cr.Schema == nil || !isStructural(cr.Schema):
		s = &spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"object"}}}
	case c.v2 && (isTrue(cr.Schema.XPreserveUnknownFields) || cr.PreserveUnknownFields):
		s = &spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"object"}}}
	default:
		converted := c.structural(cr.Schema)
		s = &converted
		s.SetProperty("metadata", *spec.RefSchema(c.ref(objectMetaModel)).WithDescription(objectMetaDoc))
		s.SetProperty("apiVersion", c.typeMeta["apiVersion"])
		s.SetProperty("kind", c.typeMeta["kind"])
		c.addEmbeddedProperties(s)
	}
	s.AddExtension(extGVK, []interface{}{gvkExtension(cr.GVK)})
	if f := selectableFields(cr); f != nil {
		s.AddExtension(extSelectableFields, f)
	}
	return s
}

// list returns the definition of cr's list kind.
func (c crdSchemas) list(cr *customResource) *spec.Schema {
	s := new(spec.Schema).
		Typed("object", "").
		WithDescription(cr.ListKind+" is a list of "+cr.GVK.Kind).
		WithRequired("items").
		SetProperty("items", *spec.ArrayProperty(spec.RefSchema(c.ref(cr.modelName()))).
			WithDescription("List of " + cr.Plural + ". More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md")).
		SetProperty("metadata", *spec.RefSchema(c.ref(listMetaModel)).WithDescription(listMetaDoc))
	s.SetProperty("apiVersion", c.typeMeta["apiVersion"])
	s.SetProperty("kind", c.typeMeta["kind"])
	s.AddExtension(extGVK, []interface{}{gvkExtension(cr.GVK.GroupVersion().WithKind(cr.ListKind))})
	if f := selectableFields(cr); f != nil {
		s.AddExtension(extSelectableFields, f)
	}
	return s
}

func selectableFields(cr *customResource) []interface{} {
	if len(cr.SelectableFields) == 0 {
		return nil
	}
	out := make([]interface{}, len(cr.SelectableFields))
	for i, f := range cr.SelectableFields {
		out[i] = map[string]interface{}{"fieldPath": f}
	}
	return out
}

// structural converts a node of a structural schema (the root, a property,
// items or additionalProperties) and everything below it. x-kubernetes-int-
// or-string is unfolded into anyOf: [integer, string]; v2 then applies
// upstream's v2 conversion (ToStructuralOpenAPIV2) on the way down.
func (c crdSchemas) structural(p *apiextensionsv1.JSONSchemaProps) spec.Schema {
	var s spec.Schema
	c.generic(p, &s)
	valueValidation(p, &s, c.nested)
	extensions(p, &s)
	if p.XIntOrString && !isIntOrStringAnyOf(p.AnyOf) && !(len(p.AllOf) > 0 && isIntOrStringAnyOf(p.AllOf[0].AnyOf)) {
		intOrString := []spec.Schema{
			{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"integer"}}},
			{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"string"}}},
		}
		if s.AnyOf == nil {
			s.AnyOf = intOrString
		} else {
			s.AllOf = append([]spec.Schema{{SchemaProps: spec.SchemaProps{AnyOf: intOrString}}}, s.AllOf...)
		}
	}

	var items *apiextensionsv1.JSONSchemaProps
	if p.Items != nil {
		items = p.Items.Schema
	}
	properties := p.Properties
	if c.v2 {
		s.AllOf, s.OneOf, s.AnyOf, s.Not = nil, nil, nil, nil
		typ := p.Type
		preserve := isTrue(p.XPreserveUnknownFields)
		if p.Nullable {
			// kubectl breaks on untyped values with items or properties.
			typ, s.Nullable, items, properties = "", false, nil, nil
		}
		if preserve {
			items, properties = nil, nil
		}
		if (typ == "array" && items == nil) || (preserve && typ == "object") {
			typ = ""
		}
		s.Type = nil
		if typ != "" {
			s.Type = spec.StringOrArray{typ}
		}
		for name, prop := range properties {
			if prop.Nullable {
				s.Required = without(s.Required, name)
			}
		}
		if ap := p.AdditionalProperties; ap != nil && ap.Schema != nil && ap.Schema.Nullable {
			s.Required = nil
		}
	}

	if items != nil {
		item := c.structural(items)
		s.Items = &spec.SchemaOrArray{Schema: &item}
	}
	if len(properties) > 0 {
		s.Properties = make(map[string]spec.Schema, len(properties))
		for name := range properties {
			prop := properties[name]
			s.Properties[name] = c.structural(&prop)
		}
	}
	if ap := p.AdditionalProperties; ap != nil {
		if ap.Schema != nil {
			value := c.structural(ap.Schema)
			s.AdditionalProperties = &spec.SchemaOrBool{Allows: true, Schema: &value}
		} else {
			s.AdditionalProperties = &spec.SchemaOrBool{Allows: ap.Allows}
		}
	}
	return s
}

// nested converts a schema below allOf, anyOf, oneOf or not (only v3 keeps
// them). Like upstream it drops additionalProperties there.
func (c crdSchemas) nested(p *apiextensionsv1.JSONSchemaProps) spec.Schema {
	var s spec.Schema
	c.generic(p, &s)
	valueValidation(p, &s, c.nested)
	extensions(p, &s)
	if p.Items != nil && p.Items.Schema != nil {
		item := c.nested(p.Items.Schema)
		s.Items = &spec.SchemaOrArray{Schema: &item}
	}
	if p.Properties != nil {
		s.Properties = make(map[string]spec.Schema, len(p.Properties))
		for name := range p.Properties {
			prop := p.Properties[name]
			s.Properties[name] = c.nested(&prop)
		}
	}
	return s
}

func (c crdSchemas) generic(p *apiextensionsv1.JSONSchemaProps, s *spec.Schema) {
	if p.Type != "" {
		s.Type = spec.StringOrArray{p.Type}
	}
	s.Nullable = p.Nullable
	s.Description = p.Description
	s.Title = p.Title
	s.Default = rawJSON(p.Default)
	s.Example = rawJSON(p.Example)
	if p.ExternalDocs != nil {
		s.ExternalDocs = &spec.ExternalDocumentation{Description: p.ExternalDocs.Description, URL: p.ExternalDocs.URL}
	}
}

func valueValidation(p *apiextensionsv1.JSONSchemaProps, s *spec.Schema, nested func(*apiextensionsv1.JSONSchemaProps) spec.Schema) {
	s.Format = p.Format
	s.Maximum, s.ExclusiveMaximum = p.Maximum, p.ExclusiveMaximum
	s.Minimum, s.ExclusiveMinimum = p.Minimum, p.ExclusiveMinimum
	s.MaxLength, s.MinLength, s.Pattern = p.MaxLength, p.MinLength, p.Pattern
	s.MaxItems, s.MinItems, s.UniqueItems = p.MaxItems, p.MinItems, p.UniqueItems
	s.MultipleOf = p.MultipleOf
	s.MaxProperties, s.MinProperties = p.MaxProperties, p.MinProperties
	if p.Enum != nil {
		s.Enum = make([]interface{}, len(p.Enum))
		for i := range p.Enum {
			s.Enum[i] = rawJSON(&p.Enum[i])
		}
	}
	if p.Required != nil {
		s.Required = append([]string{}, p.Required...)
	}
	for i := range p.AllOf {
		s.AllOf = append(s.AllOf, nested(&p.AllOf[i]))
	}
	for i := range p.AnyOf {
		s.AnyOf = append(s.AnyOf, nested(&p.AnyOf[i]))
	}
	for i := range p.OneOf {
		s.OneOf = append(s.OneOf, nested(&p.OneOf[i]))
	}
	if p.Not != nil {
		not := nested(p.Not)
		s.Not = &not
	}
	if len(p.XValidations) > 0 {
		s.AddExtension("x-kubernetes-validations", p.XValidations)
	}
}

func extensions(p *apiextensionsv1.JSONSchemaProps, s *spec.Schema) {
	if isTrue(p.XPreserveUnknownFields) {
		s.AddExtension(extPreserveUnknownFields, true)
	}
	if p.XEmbeddedResource {
		s.AddExtension(extEmbeddedResource, true)
	}
	if p.XIntOrString {
		s.AddExtension(extIntOrString, true)
	}
	if len(p.XListMapKeys) > 0 {
		s.AddExtension("x-kubernetes-list-map-keys", p.XListMapKeys)
	}
	if p.XListType != nil {
		s.AddExtension("x-kubernetes-list-type", *p.XListType)
	}
	if p.XMapType != nil {
		s.AddExtension("x-kubernetes-map-type", *p.XMapType)
	}
}

// addEmbeddedProperties gives every x-kubernetes-embedded-resource object
// the apiVersion, kind and metadata properties of an object (and requires
// apiVersion and kind) — except, in v2, where unknown fields are preserved.
func (c crdSchemas) addEmbeddedProperties(s *spec.Schema) {
	for name := range s.Properties {
		prop := s.Properties[name]
		c.addEmbeddedProperties(&prop)
		s.Properties[name] = prop
	}
	if s.Items != nil && s.Items.Schema != nil {
		c.addEmbeddedProperties(s.Items.Schema)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		c.addEmbeddedProperties(s.AdditionalProperties.Schema)
	}
	if preserve, _ := s.Extensions.GetBool(extPreserveUnknownFields); preserve && c.v2 {
		return
	}
	if embedded, _ := s.Extensions.GetBool(extEmbeddedResource); !embedded {
		return
	}
	s.SetProperty("apiVersion", *withDescription(c.typeMeta["apiVersion"],
		"apiVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"))
	s.SetProperty("kind", *withDescription(c.typeMeta["kind"],
		"kind is a string value representing the type of this object. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"))
	s.SetProperty("metadata", *spec.RefSchema(c.ref(objectMetaModel)).WithDescription(objectMetaDoc))
	for _, field := range []string{"kind", "apiVersion"} {
		if !contains(s.Required, field) {
			s.Required = append(s.Required, field)
		}
	}
}

func withDescription(s spec.Schema, desc string) *spec.Schema {
	return s.WithDescription(desc)
}

func rawJSON(j *apiextensionsv1.JSON) interface{} {
	if j == nil || len(j.Raw) == 0 {
		return nil
	}
	var v interface{}
	if err := json.Unmarshal(j.Raw, &v); err != nil {
		return nil
	}
	return v
}

func isTrue(b *bool) bool { return b != nil && *b }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// without returns list without s, reusing list when s is absent.
func without(list []string, s string) []string {
	if !contains(list, s) {
		return list
	}
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// isIntOrStringAnyOf reports the anyOf a structural schema may use to
// spell int-or-string itself: [{type: integer}, {type: string}].
func isIntOrStringAnyOf(anyOf []apiextensionsv1.JSONSchemaProps) bool {
	return len(anyOf) == 2 &&
		reflect.DeepEqual(anyOf[0], apiextensionsv1.JSONSchemaProps{Type: "integer"}) &&
		reflect.DeepEqual(anyOf[1], apiextensionsv1.JSONSchemaProps{Type: "string"})
}
