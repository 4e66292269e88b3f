package schema

import (
	"maps"
	"reflect"
	"slices"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateDefaults checks every default in props (a structural schema at
// fldPath) the way upstream does before it accepts a CRD: a default must
// not contain fields its schema would prune ("must not have unknown
// fields") and must validate against its own schema, the errors pointing
// below <path>.default. Defaults inside metadata are not looked at (the CRD
// validation forbids them).
func ValidateDefaults(fldPath *field.Path, props *apiextensionsv1.JSONSchemaProps) field.ErrorList {
	if props == nil {
		return nil
	}
	var errs field.ErrorList
	if props.Default != nil {
		errs = append(errs, validateDefault(fldPath, props)...)
	}
	if props.Items != nil && props.Items.Schema != nil {
		errs = append(errs, ValidateDefaults(fldPath.Child("items"), props.Items.Schema)...)
	}
	if props.AdditionalProperties != nil {
		errs = append(errs, ValidateDefaults(fldPath.Child("additionalProperties"), props.AdditionalProperties.Schema)...)
	}
	for _, k := range slices.Sorted(maps.Keys(props.Properties)) {
		if k == "metadata" {
			continue
		}
		p := props.Properties[k]
		errs = append(errs, ValidateDefaults(fldPath.Child("properties").Key(k), &p)...)
	}
	return errs
}

func validateDefault(fldPath *field.Path, props *apiextensionsv1.JSONSchemaProps) field.ErrorList {
	pth := fldPath.Child("default")
	n, err := compile(props)
	if err != nil {
		return field.ErrorList{field.Invalid(pth, string(props.Default.Raw), err.Error())}
	}
	def := n.def
	var errs field.ErrorList
	pruned := runtime.DeepCopyJSONValue(def)
	var p pruner
	p.prune(pruned, n, nil)
	if !reflect.DeepEqual(pruned, def) {
		errs = append(errs, field.Invalid(pth, def, "must not have unknown fields"))
	}
	// Validate with upstream's paths, rebased below <path>.default.
	for _, e := range validateValue("", def, n) {
		if e.Field == "<nil>" {
			e.Field = pth.String()
		} else {
			e.Field = pth.String() + "." + e.Field
		}
		errs = append(errs, e)
	}
	return errs
}
