package schema

import (
	"maps"
	"slices"
	"strings"

	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeschema "k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateEmbedded checks the x-kubernetes-embedded-resource objects below
// the root as upstream's objectmeta.Validate: apiVersion and kind are
// required and well-formed, metadata is valid ObjectMeta (a missing name is
// fine).
func validateEmbedded(fld *field.Path, x any, s *node) field.ErrorList {
	if s == nil {
		return nil
	}
	var errs field.ErrorList
	switch x := x.(type) {
	case map[string]any:
		if s.embedded && fld != nil {
			errs = append(errs, validateEmbeddedResource(fld, x)...)
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if c, ok := s.properties[k]; ok {
				errs = append(errs, validateEmbedded(fld.Child(k), x[k], c)...)
			} else if s.additional != nil {
				errs = append(errs, validateEmbedded(fld.Key(k), x[k], s.additional)...)
			}
		}
	case []any:
		for i, v := range x {
			errs = append(errs, validateEmbedded(fld.Index(i), v, s.items)...)
		}
	}
	return errs
}

func validateEmbeddedResource(fld *field.Path, x map[string]any) field.ErrorList {
	var errs field.ErrorList
	if _, ok := x["apiVersion"]; !ok {
		errs = append(errs, field.Required(fld.Child("apiVersion"), ""))
	}
	if _, ok := x["kind"]; !ok {
		errs = append(errs, field.Required(fld.Child("kind"), ""))
	}
	if v, ok := x["apiVersion"]; ok {
		s, isString := v.(string)
		switch _, err := runtimeschema.ParseGroupVersion(s); {
		case !isString:
			errs = append(errs, field.Invalid(fld.Child("apiVersion"), v, "must be a string"))
		case s == "":
			errs = append(errs, field.Invalid(fld.Child("apiVersion"), s, "must not be empty"))
		case err != nil:
			errs = append(errs, field.Invalid(fld.Child("apiVersion"), s, err.Error()))
		}
	}
	if v, ok := x["kind"]; ok {
		s, isString := v.(string)
		switch msgs := utilvalidation.IsDNS1035Label(strings.ToLower(s)); {
		case !isString:
			errs = append(errs, field.Invalid(fld.Child("kind"), v, "must be a string"))
		case s == "":
			errs = append(errs, field.Invalid(fld.Child("kind"), s, "must not be empty"))
		case len(msgs) > 0:
			errs = append(errs, field.Invalid(fld.Child("kind"), s, "may have mixed case, but should otherwise match: "+strings.Join(msgs, ",")))
		}
	}
	if v, ok := x["metadata"]; ok {
		var meta metav1.ObjectMeta
		raw, err := utiljson.Marshal(v)
		if err == nil {
			err = utiljson.Unmarshal(raw, &meta)
		}
		if err != nil {
			return append(errs, field.Invalid(fld.Child("metadata"), v, err.Error()))
		}
		if meta.Name == "" {
			meta.Name = "fakename" // upstream's way of not requiring a name
		}
		errs = append(errs, metavalidation.ValidateObjectMeta(&meta, meta.Namespace != "", path.ValidatePathSegmentName, fld.Child("metadata"))...)
	}
	return errs
}
