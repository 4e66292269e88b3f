package validation

import (
	"fmt"
	"reflect"
	"slices"
	"sort"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/apiextensions/schema"
)

var (
	openapiV3Types = []string{"array", "boolean", "integer", "number", "object", "string"}
	metaFields     = map[string]bool{"metadata": true, "kind": true, "apiVersion": true}
	// allowedAtStatusRoot are the JSONSchemaProps fields a schema may set
	// at its root when the status subresource is enabled.
	allowedAtStatusRoot = []string{"Description", "Type", "Format", "Title", "Maximum", "ExclusiveMaximum", "Minimum", "ExclusiveMinimum", "MaxLength", "MinLength", "Pattern", "MaxItems", "MinItems", "UniqueItems", "MultipleOf", "Required", "Items", "Properties", "ExternalDocs", "Example", "XPreserveUnknownFields", "XValidations"}
)

// validateSchema checks a version's schema (spec.versions[i].schema, or
// spec.validation when every version has the same one), as upstream's
// validateCustomResourceDefinitionValidation: the status-subresource root
// rule, nullable root, structural schema, defaults, then the OpenAPI
// keyword checks.
func validateSchema(v *apiextensionsv1.CustomResourceValidation, statusEnabled bool, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if v == nil || v.OpenAPIV3Schema == nil {
		return errs
	}
	s := v.OpenAPIV3Schema
	root := fld.Child("openAPIV3Schema")
	if statusEnabled {
		errs = append(errs, validateStatusRoot(s, fld)...)
	}
	if s.Nullable {
		errs = append(errs, field.Forbidden(fld.Child("openAPIV3Schema.nullable"), "nullable cannot be true at the root"))
	}
	var initErrs field.ErrorList
	if schema.Unsupported(s) != nil {
		initErrs = schema.IsStructural(root, s) // just the conversion error
	} else if structural := schema.IsStructural(root, s); len(structural) > 0 {
		errs = append(errs, structural...)
	} else {
		errs = append(errs, schema.ValidateDefaults(root, s)...)
	}
	errs = append(errs, openAPISchema(s, root, openAPIContext{allowDefaults: true}, true)...)
	if len(errs) == 0 {
		errs = initErrs // reported only when nothing else explains it
	}
	if len(errs) == 0 {
		if _, err := schema.New(s); err != nil {
			errs = append(errs, field.Invalid(fld, "", fmt.Sprintf("error building validator: %v", err)))
		}
	}
	return errs
}

func validateStatusRoot(s *apiextensionsv1.JSONSchemaProps, fld *field.Path) field.ErrorList {
	v := reflect.ValueOf(s).Elem()
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsZero() {
			continue
		}
		name := v.Type().Field(i).Name
		if name == "Type" {
			if s.Type != "object" {
				return field.ErrorList{field.Invalid(fld.Child("openAPIV3Schema.type"), s.Type, `only "object" is allowed as the type at the root of the schema if the status subresource is enabled`)}
			}
			continue
		}
		allowed := false
		for _, a := range allowedAtStatusRoot {
			allowed = allowed || a == name
		}
		if !allowed {
			return field.ErrorList{field.Invalid(fld.Child("openAPIV3Schema"), *s, fmt.Sprintf(`only %v fields are allowed at the root of the schema if the status subresource is enabled`, allowedAtStatusRoot))}
		}
	}
	return nil
}

// openAPIContext is what a schema level inherits from its parents.
type openAPIContext struct {
	allowDefaults          bool
	disallowDefaultsReason string
	insideResourceMeta     bool
}

// openAPISchema is upstream's ValidateCustomResourceDefinitionOpenAPISchema
// without the CEL parts: keywords CRDs do not support, list and map types.
func openAPISchema(s *apiextensionsv1.JSONSchemaProps, fld *field.Path, ctx openAPIContext, isRoot bool) field.ErrorList {
	if s == nil {
		return nil
	}
	errs := standardChecks(s, fld, ctx)
	if s.UniqueItems {
		errs = append(errs, field.Forbidden(fld.Child("uniqueItems"), "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"))
	}
	if ap := s.AdditionalProperties; ap != nil {
		if len(s.Properties) != 0 && (!ap.Allows || ap.Schema != nil) {
			errs = append(errs, field.Forbidden(fld.Child("additionalProperties"), "additionalProperties and properties are mutual exclusive"))
		}
		sub := ctx
		if ctx.insideResourceMeta {
			sub.allowDefaults, sub.disallowDefaultsReason = false, "inside additionalProperties applying to object metadata"
		}
		errs = append(errs, openAPISchema(ap.Schema, fld.Child("additionalProperties"), sub, false)...)
	}
	keys := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sub := ctx
		if (isRoot || s.XEmbeddedResource) && metaFields[k] {
			sub.insideResourceMeta = true
			if isRoot {
				sub.allowDefaults, sub.disallowDefaultsReason = false, fmt.Sprintf("in top-level %s", k)
			}
		}
		p := s.Properties[k]
		errs = append(errs, openAPISchema(&p, fld.Child("properties").Key(k), sub, false)...)
	}
	errs = append(errs, openAPISchema(s.Not, fld.Child("not"), ctx, false)...)
	for _, l := range []struct {
		name    string
		schemas []apiextensionsv1.JSONSchemaProps
	}{{"allOf", s.AllOf}, {"oneOf", s.OneOf}, {"anyOf", s.AnyOf}} {
		for i := range l.schemas {
			errs = append(errs, openAPISchema(&l.schemas[i], fld.Child(l.name).Index(i), ctx, false)...)
		}
	}
	if s.Items != nil {
		errs = append(errs, openAPISchema(s.Items.Schema, fld.Child("items"), ctx, false)...)
		for i := range s.Items.JSONSchemas {
			errs = append(errs, openAPISchema(&s.Items.JSONSchemas[i], fld.Child("items").Index(i), ctx, false)...)
		}
	}
	if s.XPreserveUnknownFields != nil && !*s.XPreserveUnknownFields {
		errs = append(errs, field.Invalid(fld.Child("x-kubernetes-preserve-unknown-fields"), false, "must be true or undefined"))
	}
	errs = append(errs, listAndMapTypes(s, fld)...)
	return errs
}

func standardChecks(s *apiextensionsv1.JSONSchemaProps, fld *field.Path, ctx openAPIContext) field.ErrorList {
	var errs field.ErrorList
	if s.Type != "" && !slices.Contains(openapiV3Types, s.Type) {
		errs = append(errs, field.NotSupported(fld.Child("type"), s.Type, openapiV3Types))
	}
	if s.Default != nil && !ctx.allowDefaults {
		detail := "must not be set"
		if ctx.disallowDefaultsReason != "" {
			detail += " " + ctx.disallowDefaultsReason
		}
		errs = append(errs, field.Forbidden(fld.Child("default"), detail))
	}
	forbid := func(name, msg string) { errs = append(errs, field.Forbidden(fld.Child(name), msg)) }
	if s.ID != "" {
		forbid("id", "id is not supported")
	}
	if s.AdditionalItems != nil {
		forbid("additionalItems", "additionalItems is not supported")
	}
	if len(s.PatternProperties) != 0 {
		forbid("patternProperties", "patternProperties is not supported")
	}
	if len(s.Definitions) != 0 {
		forbid("definitions", "definitions is not supported")
	}
	if s.Dependencies != nil {
		forbid("dependencies", "dependencies is not supported")
	}
	if s.Ref != nil {
		forbid("$ref", "$ref is not supported")
	}
	if s.Type == "null" {
		forbid("type", "type cannot be set to null, use nullable as an alternative")
	}
	if s.Items != nil && len(s.Items.JSONSchemas) != 0 {
		forbid("items", "items must be a schema object and not an array")
	}
	if ctx.insideResourceMeta && s.XEmbeddedResource {
		forbid("x-kubernetes-embedded-resource", "must not be used inside of resource meta")
	}
	return errs
}

func listAndMapTypes(s *apiextensionsv1.JSONSchemaProps, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.XMapType != nil && s.Type != "object" {
		if s.Type == "" {
			errs = append(errs, field.Required(fld.Child("type"), "must be object if x-kubernetes-map-type is specified"))
		} else {
			errs = append(errs, field.Invalid(fld.Child("type"), s.Type, "must be object if x-kubernetes-map-type is specified"))
		}
	}
	if s.XMapType != nil && *s.XMapType != "atomic" && *s.XMapType != "granular" {
		errs = append(errs, field.NotSupported(fld.Child("x-kubernetes-map-type"), *s.XMapType, []string{"atomic", "granular"}))
	}
	var items *apiextensionsv1.JSONSchemaProps
	if s.Items != nil {
		items = s.Items.Schema
	}
	listType := ""
	if s.XListType != nil {
		listType = *s.XListType
	}
	if s.XListType != nil && s.Type != "array" {
		if s.Type == "" {
			errs = append(errs, field.Required(fld.Child("type"), "must be array if x-kubernetes-list-type is specified"))
		} else {
			errs = append(errs, field.Invalid(fld.Child("type"), s.Type, "must be array if x-kubernetes-list-type is specified"))
		}
	} else if listType == "set" && items != nil {
		switch items.Type {
		case "array":
			if items.XListType != nil && *items.XListType != "atomic" {
				errs = append(errs, field.Invalid(fld.Child("items").Child("x-kubernetes-list-type"), items.XListType, "must be atomic as item of a list with x-kubernetes-list-type=set"))
			}
		case "object":
			if items.XMapType == nil || *items.XMapType != "atomic" {
				errs = append(errs, field.Invalid(fld.Child("items").Child("x-kubernetes-map-type"), items.XListType, "must be atomic as item of a list with x-kubernetes-list-type=set"))
			}
		}
	}
	if s.XListType != nil && listType != "atomic" && listType != "set" && listType != "map" {
		errs = append(errs, field.NotSupported(fld.Child("x-kubernetes-list-type"), listType, []string{"atomic", "set", "map"}))
	}
	if len(s.XListMapKeys) > 0 {
		if s.XListType == nil {
			errs = append(errs, field.Required(fld.Child("x-kubernetes-list-type"), "must be map if x-kubernetes-list-map-keys is non-empty"))
		} else if listType != "map" {
			errs = append(errs, field.Invalid(fld.Child("x-kubernetes-list-type"), listType, "must be map if x-kubernetes-list-map-keys is non-empty"))
		}
	}
	if listType == "map" {
		if len(s.XListMapKeys) == 0 {
			errs = append(errs, field.Required(fld.Child("x-kubernetes-list-map-keys"), "must not be empty if x-kubernetes-list-type is map"))
		}
		switch {
		case s.Items == nil:
			errs = append(errs, field.Required(fld.Child("items"), "must have a schema if x-kubernetes-list-type is map"))
		case items == nil:
			errs = append(errs, field.Invalid(fld.Child("items"), s.Items, "must only have a single schema if x-kubernetes-list-type is map"))
		case items.Type != "object":
			errs = append(errs, field.Invalid(fld.Child("items").Child("type"), items.Type, "must be object if parent array's x-kubernetes-list-type is map"))
		default:
			seen := map[string]bool{}
			for _, k := range s.XListMapKeys {
				if p, ok := items.Properties[k]; !ok {
					errs = append(errs, field.Invalid(fld.Child("x-kubernetes-list-map-keys"), s.XListMapKeys, "entries must all be names of item properties"))
				} else if p.Type == "array" || p.Type == "object" {
					errs = append(errs, field.Invalid(fld.Child("items").Child("properties").Key(k).Child("type"), items.Type, "must be a scalar type if parent array's x-kubernetes-list-type is map"))
				}
				if seen[k] {
					errs = append(errs, field.Invalid(fld.Child("x-kubernetes-list-map-keys"), s.XListMapKeys, "must not contain duplicate entries"))
				}
				seen[k] = true
			}
		}
	}
	if items != nil && (listType == "set" || listType == "map") {
		if items.Nullable {
			errs = append(errs, field.Forbidden(fld.Child("items").Child("nullable"), "cannot be nullable when x-kubernetes-list-type is "+listType))
		}
		if listType == "map" {
			required := map[string]bool{}
			for _, r := range items.Required {
				required[r] = true
			}
			for _, k := range s.XListMapKeys {
				p, ok := items.Properties[k]
				if !ok {
					continue
				}
				kfld := fld.Child("items").Child("properties").Key(k)
				if !required[k] && p.Default == nil {
					errs = append(errs, field.Required(kfld.Child("default"), "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"))
				}
				if p.Nullable {
					errs = append(errs, field.Forbidden(kfld.Child("nullable"), "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"))
				}
			}
		}
	}
	return errs
}
