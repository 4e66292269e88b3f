package schema

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"sort"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

type level int

const (
	rootLevel level = iota
	itemLevel
	fieldLevel
)

// IsStructural reports why props is not a structural schema, with
// upstream's paths and messages (fldPath is the schema's path, e.g.
// spec.versions[0].schema.openAPIV3Schema). A structural schema declares a
// type at every level (unless x-kubernetes-int-or-string or
// x-kubernetes-preserve-unknown-fields), keeps allOf/anyOf/oneOf/not to
// value validations over fields declared outside them, has an object at
// the root and says nothing about metadata but name and generateName.
// The errors are sorted by their text, as upstream sorts them.
func IsStructural(fldPath *field.Path, props *apiextensionsv1.JSONSchemaProps) field.ErrorList {
	if props == nil {
		return nil
	}
	if err := Unsupported(props); err != nil {
		return field.ErrorList{field.Invalid(fldPath, "", err.Error())}
	}
	errs := invariants(props, rootLevel, fldPath)
	errs = append(errs, completeness(props, props, fldPath, fldPath)...)
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errs
}

// Unsupported reports what upstream cannot even convert to a structural
// schema ($ref, patternProperties, items arrays…). IsStructural returns it
// as its only error; the CRD validation reports it only when nothing else
// is wrong, as upstream does.
func Unsupported(p *apiextensionsv1.JSONSchemaProps) error {
	if p == nil {
		return nil
	}
	switch {
	case p.ID != "":
		return fmt.Errorf("OpenAPIV3Schema 'id' is not supported")
	case p.Schema != "":
		return fmt.Errorf("OpenAPIV3Schema 'schema' is not supported")
	case p.Ref != nil:
		return fmt.Errorf("OpenAPIV3Schema '$ref' is not supported")
	case len(p.PatternProperties) > 0:
		return fmt.Errorf("OpenAPIV3Schema 'patternProperties' is not supported")
	case len(p.Dependencies) > 0:
		return fmt.Errorf("OpenAPIV3Schema 'dependencies' is not supported")
	case p.AdditionalItems != nil:
		return fmt.Errorf("OpenAPIV3Schema 'additionalItems' is not supported")
	case len(p.Definitions) > 0:
		return fmt.Errorf("OpenAPIV3Schema 'definitions' is not supported")
	case p.Items != nil && len(p.Items.JSONSchemas) > 0:
		return fmt.Errorf("OpenAPIV3Schema 'items' must be a schema, but is an array")
	case p.XPreserveUnknownFields != nil && !*p.XPreserveUnknownFields:
		return fmt.Errorf("internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined")
	}
	var subs []*apiextensionsv1.JSONSchemaProps
	if p.Items != nil {
		subs = append(subs, p.Items.Schema)
	}
	if p.AdditionalProperties != nil {
		subs = append(subs, p.AdditionalProperties.Schema)
	}
	subs = append(subs, p.Not)
	for _, l := range [][]apiextensionsv1.JSONSchemaProps{p.AllOf, p.AnyOf, p.OneOf} {
		for i := range l {
			subs = append(subs, &l[i])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(p.Properties)) {
		sub := p.Properties[k]
		subs = append(subs, &sub)
	}
	for _, sub := range subs {
		if err := Unsupported(sub); err != nil {
			return err
		}
	}
	return nil
}

func invariants(s *apiextensionsv1.JSONSchemaProps, lvl level, fld *field.Path) field.ErrorList {
	if s == nil {
		return nil
	}
	var errs field.ErrorList
	var items *apiextensionsv1.JSONSchemaProps
	if s.Items != nil {
		items = s.Items.Schema
	}
	if s.Type == "array" && items == nil {
		errs = append(errs, field.Required(fld.Child("items"), "must be specified"))
	}
	errs = append(errs, invariants(items, itemLevel, fld.Child("items"))...)
	for _, k := range slices.Sorted(maps.Keys(s.Properties)) {
		p := s.Properties[k]
		errs = append(errs, invariants(&p, fieldLevel, fld.Child("properties").Key(k))...)
	}
	if s.AdditionalProperties != nil {
		if lvl == rootLevel {
			errs = append(errs, field.Forbidden(fld.Child("additionalProperties"), "must not be used at the root"))
		}
		errs = append(errs, invariants(s.AdditionalProperties.Schema, fieldLevel, fld.Child("additionalProperties"))...)
	}

	preserve := s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields
	if s.XIntOrString && preserve {
		errs = append(errs, field.Invalid(fld.Child("x-kubernetes-preserve-unknown-fields"), true, "must be false if x-kubernetes-int-or-string is true"))
	}
	if s.XIntOrString && s.XEmbeddedResource {
		errs = append(errs, field.Invalid(fld.Child("x-kubernetes-embedded-resource"), true, "must be false if x-kubernetes-int-or-string is true"))
	}

	skipAnyOf := isIntOrStringAnyOf(s.AnyOf)
	skipFirstAllOfAnyOf := len(s.AllOf) > 0 && isIntOrStringAnyOf(s.AllOf[0].AnyOf)
	errs = append(errs, valueValidation(s, skipAnyOf, skipFirstAllOfAnyOf, fld)...)

	checkMetadata := lvl == rootLevel || s.XEmbeddedResource
	switch {
	case s.XEmbeddedResource && s.Type == "":
		errs = append(errs, field.Required(fld.Child("type"), "must be object if x-kubernetes-embedded-resource is true"))
	case s.XEmbeddedResource && s.Type != "object":
		errs = append(errs, field.Invalid(fld.Child("type"), s.Type, "must be object if x-kubernetes-embedded-resource is true"))
	case s.Type == "" && !s.XIntOrString && !preserve:
		msg := map[level]string{
			rootLevel:  "must not be empty at the root",
			itemLevel:  "must not be empty for specified array items",
			fieldLevel: "must not be empty for specified object fields",
		}[lvl]
		errs = append(errs, field.Required(fld.Child("type"), msg))
	}
	if s.XEmbeddedResource && s.AdditionalProperties != nil {
		errs = append(errs, field.Forbidden(fld.Child("additionalProperties"), "must not be used if x-kubernetes-embedded-resource is set"))
	}
	if lvl == rootLevel && s.Type != "" && s.Type != "object" {
		errs = append(errs, field.Invalid(fld.Child("type"), s.Type, "must be object at the root"))
	}
	for _, k := range []string{"kind", "apiVersion"} {
		if p, ok := s.Properties[k]; ok && checkMetadata && p.Type != "string" {
			errs = append(errs, field.Invalid(fld.Child("properties").Key(k).Child("type"), p.Type, "must be string"))
		}
	}
	if m, ok := s.Properties["metadata"]; ok {
		mfld := fld.Child("properties").Key("metadata")
		if checkMetadata && m.Type != "object" {
			errs = append(errs, field.Invalid(mfld.Child("type"), m.Type, "must be object"))
		}
		if lvl == rootLevel && !onlyNameAndGenerateName(m) {
			errs = append(errs, field.Forbidden(mfld, "must not specify anything other than name and generateName, but metadata is implicitly specified"))
		}
	}
	if s.XEmbeddedResource && !preserve && len(s.Properties) == 0 {
		errs = append(errs, field.Required(fld.Child("properties"), "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"))
	}
	return errs
}

// onlyNameAndGenerateName: the root's metadata schema may only have a
// type and a default and declare name and/or generateName.
func onlyNameAndGenerateName(m apiextensionsv1.JSONSchemaProps) bool {
	_, name := m.Properties["name"]
	_, generateName := m.Properties["generateName"]
	if (name && generateName && len(m.Properties) == 2) || ((name || generateName) && len(m.Properties) == 1) {
		m.Properties = nil
	}
	m.Type, m.Default = "", nil
	return reflect.DeepEqual(m, apiextensionsv1.JSONSchemaProps{})
}

func isIntOrStringAnyOf(anyOf []apiextensionsv1.JSONSchemaProps) bool {
	return len(anyOf) == 2 &&
		reflect.DeepEqual(anyOf[0], apiextensionsv1.JSONSchemaProps{Type: "integer"}) &&
		reflect.DeepEqual(anyOf[1], apiextensionsv1.JSONSchemaProps{Type: "string"})
}

// valueValidation checks the allOf/anyOf/oneOf/not below s and its pattern.
func valueValidation(s *apiextensionsv1.JSONSchemaProps, skipAnyOf, skipFirstAllOfAnyOf bool, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !skipAnyOf {
		for i := range s.AnyOf {
			errs = append(errs, nestedValueValidation(&s.AnyOf[i], false, fld.Child("anyOf").Index(i))...)
		}
	}
	for i := range s.AllOf {
		errs = append(errs, nestedValueValidation(&s.AllOf[i], skipFirstAllOfAnyOf && i == 0, fld.Child("allOf").Index(i))...)
	}
	for i := range s.OneOf {
		errs = append(errs, nestedValueValidation(&s.OneOf[i], false, fld.Child("oneOf").Index(i))...)
	}
	errs = append(errs, nestedValueValidation(s.Not, false, fld.Child("not"))...)
	if s.Pattern != "" {
		if _, err := regexp.Compile(s.Pattern); err != nil {
			errs = append(errs, field.Invalid(fld.Child("pattern"), s.Pattern, fmt.Sprintf("must be a valid regular expression, but isn't: %v", err)))
		}
	}
	return errs
}

// nestedValueValidation checks a schema inside allOf/anyOf/oneOf/not: it
// may only hold value validations.
func nestedValueValidation(v *apiextensionsv1.JSONSchemaProps, skipAnyOf bool, fld *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	errs := valueValidation(v, skipAnyOf, false, fld)
	if v.Items != nil {
		errs = append(errs, nestedValueValidation(v.Items.Schema, false, fld.Child("items"))...)
	}
	for _, k := range slices.Sorted(maps.Keys(v.Properties)) {
		p := v.Properties[k]
		errs = append(errs, nestedValueValidation(&p, false, fld.Child("properties").Key(k))...)
	}
	forbid := func(name, msg string) { errs = append(errs, field.Forbidden(fld.Child(name), msg)) }
	if v.Type != "" {
		forbid("type", "must be empty to be structural")
	}
	if ap := v.AdditionalProperties; ap != nil && (ap.Schema != nil || ap.Allows) {
		forbid("additionalProperties", "must be undefined to be structural")
	}
	if v.Default != nil {
		forbid("default", "must be undefined to be structural")
	}
	if v.Title != "" {
		forbid("title", "must be empty to be structural")
	}
	if v.Description != "" {
		forbid("description", "must be empty to be structural")
	}
	if v.Nullable {
		forbid("nullable", "must be false to be structural")
	}
	if v.XPreserveUnknownFields != nil && *v.XPreserveUnknownFields {
		forbid("x-kubernetes-preserve-unknown-fields", "must be false to be structural")
	}
	if v.XEmbeddedResource {
		forbid("x-kubernetes-embedded-resource", "must be false to be structural")
	}
	if v.XIntOrString {
		forbid("x-kubernetes-int-or-string", "must be false to be structural")
	}
	if len(v.XListMapKeys) > 0 {
		forbid("x-kubernetes-list-map-keys", "must be empty to be structural")
	}
	if v.XListType != nil {
		forbid("x-kubernetes-list-type", "must be undefined to be structural")
	}
	if v.XMapType != nil {
		forbid("x-kubernetes-map-type", "must be undefined to be structural")
	}
	if len(v.XValidations) > 0 {
		forbid("x-kubernetes-validations", "must be empty to be structural")
	}
	if _, ok := v.Properties["metadata"]; ok {
		errs = append(errs, field.Forbidden(fld.Child("properties").Key("metadata"), "must not be specified in a nested context"))
	}
	return errs
}

// completeness: every field a value validation mentions (in allOf, anyOf,
// oneOf, not) must also be declared by the structural schema s.
func completeness(v, s *apiextensionsv1.JSONSchemaProps, sPath, vPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	nested := func(sub *apiextensionsv1.JSONSchemaProps, p *field.Path) {
		errs = append(errs, nestedCompleteness(sub, s, sPath, p)...)
	}
	if v.Not != nil {
		nested(v.Not, vPath.Child("not"))
	}
	for i := range v.AllOf {
		nested(&v.AllOf[i], vPath.Child("allOf").Index(i))
	}
	for i := range v.AnyOf {
		nested(&v.AnyOf[i], vPath.Child("anyOf").Index(i))
	}
	for i := range v.OneOf {
		nested(&v.OneOf[i], vPath.Child("oneOf").Index(i))
	}
	return errs
}

func nestedCompleteness(v, s *apiextensionsv1.JSONSchemaProps, sPath, vPath *field.Path) field.ErrorList {
	if s == nil {
		return field.ErrorList{field.Required(sPath, fmt.Sprintf("because it is defined in %s", vPath.String()))}
	}
	errs := completeness(v, s, sPath, vPath)
	if v.Items != nil && v.Items.Schema != nil {
		var sItems *apiextensionsv1.JSONSchemaProps
		if s.Items != nil {
			sItems = s.Items.Schema
		}
		errs = append(errs, nestedCompleteness(v.Items.Schema, sItems, sPath.Child("items"), vPath.Child("items"))...)
	}
	for _, k := range slices.Sorted(maps.Keys(v.Properties)) {
		vf := v.Properties[k]
		sf, ok := s.Properties[k]
		if !ok {
			errs = append(errs, field.Required(sPath.Child("properties").Key(k), fmt.Sprintf("because it is defined in %s", vPath.Child("properties").Key(k))))
			continue
		}
		errs = append(errs, nestedCompleteness(&vf, &sf, sPath.Child("properties").Key(k), vPath.Child("properties").Key(k))...)
	}
	return errs
}
