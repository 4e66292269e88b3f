package openapi

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// schemaLevel is where a structural node sits.
type schemaLevel int

const (
	rootLevel schemaLevel = iota
	itemLevel
	fieldLevel
)

var validTypes = map[string]bool{"": true, "array": true, "boolean": true, "integer": true, "number": true, "object": true, "string": true}

// isStructural reports whether schema is structural enough to publish.
// apiextensions.k8s.io/v1 refuses CRDs with non-structural schemas, so this
// is a safety net, not validation: it checks what the conversion relies on
// (upstream's NewStructural and the main invariants of
// ValidateStructural) and upstream publishes a bare object otherwise.
func isStructural(schema *apiextensionsv1.JSONSchemaProps) bool {
	return structuralNode(schema, rootLevel)
}

func structuralNode(s *apiextensionsv1.JSONSchemaProps, lvl schemaLevel) bool {
	if !supported(s) {
		return false
	}
	preserve := isTrue(s.XPreserveUnknownFields)
	switch {
	case s.Type == "array" && (s.Items == nil || s.Items.Schema == nil):
		return false
	case s.XEmbeddedResource && s.Type != "object":
		return false
	case s.Type == "" && !s.XIntOrString && !preserve:
		return false
	case lvl == rootLevel && (s.Type != "object" || s.AdditionalProperties != nil):
		return false
	case s.XIntOrString && (preserve || s.XEmbeddedResource):
		return false
	case s.XEmbeddedResource && (s.AdditionalProperties != nil || (!preserve && len(s.Properties) == 0)):
		return false
	}
	if s.Items != nil && !structuralNode(s.Items.Schema, itemLevel) {
		return false
	}
	for name := range s.Properties {
		prop := s.Properties[name]
		if !structuralNode(&prop, fieldLevel) {
			return false
		}
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil &&
		!structuralNode(s.AdditionalProperties.Schema, fieldLevel) {
		return false
	}
	// The one generic allowed under a junctor: int-or-string's own anyOf.
	skipAnyOf := isIntOrStringAnyOf(s.AnyOf)
	skipFirstAllOfAnyOf := len(s.AllOf) > 0 && isIntOrStringAnyOf(s.AllOf[0].AnyOf)
	return junctorsStructural(s, skipAnyOf, skipFirstAllOfAnyOf)
}

func junctorsStructural(s *apiextensionsv1.JSONSchemaProps, skipAnyOf, skipFirstAllOfAnyOf bool) bool {
	if !skipAnyOf {
		for i := range s.AnyOf {
			if !nestedStructural(&s.AnyOf[i], false) {
				return false
			}
		}
	}
	for i := range s.AllOf {
		if !nestedStructural(&s.AllOf[i], skipFirstAllOfAnyOf && i == 0) {
			return false
		}
	}
	for i := range s.OneOf {
		if !nestedStructural(&s.OneOf[i], false) {
			return false
		}
	}
	return s.Not == nil || nestedStructural(s.Not, false)
}

// nestedStructural checks a schema under a junctor: value validations
// only, no types, descriptions, defaults or Kubernetes extensions.
func nestedStructural(s *apiextensionsv1.JSONSchemaProps, skipAnyOf bool) bool {
	if !supported(s) {
		return false
	}
	if s.Type != "" || s.Title != "" || s.Description != "" || s.Default != nil || s.Nullable ||
		s.AdditionalProperties != nil || s.XPreserveUnknownFields != nil || s.XEmbeddedResource ||
		s.XIntOrString || len(s.XListMapKeys) > 0 || s.XListType != nil || s.XMapType != nil {
		return false
	}
	if _, ok := s.Properties["metadata"]; ok {
		return false
	}
	if s.Items != nil && !nestedStructural(s.Items.Schema, false) {
		return false
	}
	for name := range s.Properties {
		prop := s.Properties[name]
		if !nestedStructural(&prop, false) {
			return false
		}
	}
	return junctorsStructural(s, skipAnyOf, false)
}

// supported rejects what a structural schema cannot hold at all.
func supported(s *apiextensionsv1.JSONSchemaProps) bool {
	return s != nil && validTypes[s.Type] &&
		s.ID == "" && s.Schema == "" && s.Ref == nil && len(s.PatternProperties) == 0 &&
		len(s.Dependencies) == 0 && s.AdditionalItems == nil && len(s.Definitions) == 0 &&
		(s.Items == nil || len(s.Items.JSONSchemas) == 0) &&
		(s.XPreserveUnknownFields == nil || *s.XPreserveUnknownFields)
}
