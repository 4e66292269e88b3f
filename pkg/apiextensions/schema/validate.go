package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
)

// Validate checks obj against the schema's value validations the way
// upstream's ValidateCustomResource (kube-openapi's validator), its check
// of embedded resources (apiVersion, kind, metadata) and its list-type
// check do, and returns upstream's field errors. Messages name
// the field as "<path> in body ..."; errors of allOf/anyOf/oneOf/not carry
// no field path, as upstream's do.
//
// Values are JSON as decoded by k8s.io/apimachinery/pkg/util/json:
// map[string]any, []any, string, bool, int64 (integers) and float64;
// other Go integer and float types are accepted too. A float64 without
// fraction is a valid integer.
func (s *Schema) Validate(obj map[string]any) field.ErrorList {
	if s.root == nil {
		return nil
	}
	errs := validateValue("", obj, s.root)
	errs = append(errs, validateEmbedded(nil, obj, s.root)...)
	return append(errs, validateLists(nil, s.root, obj)...)
}

// pathOf turns a kube-openapi path ("spec.items[0].name", ".key" for a
// root additionalProperties key) into upstream's field path.
func pathOf(name string) *field.Path {
	if name == "" || name == "." {
		return nil
	}
	return field.NewPath(strings.TrimPrefix(name, "."))
}

func typeError(name, want, got string) *field.Error {
	return field.TypeInvalid(pathOf(name), got, fmt.Sprintf("%s in body must be of type %s: %q", name, want, got))
}

// kindOf returns the OpenAPI type of a JSON value and its natural format.
func kindOf(x any) (typ, format string) {
	switch x.(type) {
	case bool:
		return "boolean", ""
	case string:
		return "string", ""
	case int8, int16, int32, uint8, uint16, uint32:
		return "integer", "int32"
	case int, int64, uint, uint64:
		return "integer", "int64"
	case float32:
		return "number", "float32"
	case float64:
		return "number", "float64"
	case []any:
		return "array", ""
	case map[string]any:
		return "object", ""
	}
	return "", ""
}

func (n *node) types() []string {
	if n.intOrString {
		return []string{"integer", "string"}
	}
	if n.typ != "" {
		return []string{n.typ}
	}
	return nil
}

// validateValue validates x at path name (kube-openapi's spelling) against
// n, running the checks in kube-openapi's order: type, allOf/anyOf/oneOf/
// not, string, format, number, array, enum, object.
func validateValue(name string, x any, n *node) field.ErrorList {
	var errs field.ErrorList
	if x == nil {
		if len(n.types()) > 0 && !n.nullable {
			errs = append(errs, typeError(name, strings.Join(n.types(), ","), "null"))
		}
		return append(errs, checkEnum(name, x, n)...)
	}
	errs = append(errs, checkType(name, x, n)...)
	errs = append(errs, checkComposition(name, x, n)...)
	switch v := x.(type) {
	case string:
		errs = append(errs, checkString(name, v, n)...)
	case []any:
		errs = append(errs, checkArray(name, v, n)...)
	case map[string]any:
		// checked after enum, below
	default:
		if f, ok := toFloat(x); ok {
			errs = append(errs, checkNumber(name, x, f, n)...)
		}
	}
	errs = append(errs, checkEnum(name, x, n)...)
	if m, ok := x.(map[string]any); ok {
		errs = append(errs, checkObject(name, m, n)...)
	}
	return errs
}

func checkType(name string, x any, n *node) field.ErrorList {
	types := n.types()
	if len(types) == 0 && n.format == "" {
		return nil
	}
	typ, format := kindOf(x)
	f, _ := toFloat(x)
	isFloatInt := typ == "number" && isJSONInteger(f) && slices.Contains(types, "integer")
	isIntFloat := typ == "integer" && slices.Contains(types, "number")
	isLowerInt := n.format == "int64" && format == "int32"
	strOrSlice := typ == "string" || typ == "array"
	if !strOrSlice && n.format != "" && !(slices.Contains(types, typ) || format == n.format || isFloatInt || isIntFloat || isLowerInt) {
		return field.ErrorList{typeError(name, n.format, format)}
	}
	if !slices.Contains(types, "number") && !slices.Contains(types, "integer") && n.format != "" && strOrSlice {
		return nil
	}
	if !(slices.Contains(types, typ) || isFloatInt || isIntFloat) {
		return field.ErrorList{typeError(name, strings.Join(types, ","), typ)}
	}
	return nil
}

// isJSONInteger is go-openapi's test for a float that is an integer.
func isJSONInteger(f float64) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<53-1 {
		return false
	}
	r := math.Round(f)
	return f == r || (r != 0 && math.Abs(f-r) < 1e-9*math.Abs(r))
}

func toFloat(x any) (float64, bool) {
	v := reflect.ValueOf(x)
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(v.Uint()), true
	case reflect.Float32, reflect.Float64:
		return v.Float(), true
	}
	return 0, false
}

// compositionError is how upstream reports allOf/anyOf/oneOf/not: no
// field path, an empty value, the path quoted in the message.
func compositionError(format string, args ...any) *field.Error {
	return field.Invalid(nil, "", fmt.Sprintf(format, args...))
}

func checkComposition(name string, x any, n *node) field.ErrorList {
	var errs field.ErrorList
	if len(n.anyOf) > 0 {
		var firstFailure field.ErrorList
		ok := false
		for _, sub := range n.anyOf {
			r := validateValue(name, x, sub)
			if len(r) == 0 {
				ok = true
				break
			}
			if firstFailure == nil {
				firstFailure = r
			}
		}
		if !ok {
			errs = append(errs, compositionError("%q must validate at least one schema (anyOf)", name))
			errs = append(errs, firstFailure...)
		}
	}
	if len(n.oneOf) > 0 {
		var firstFailure field.ErrorList
		valid := 0
		for _, sub := range n.oneOf {
			r := validateValue(name, x, sub)
			if len(r) == 0 {
				valid++
			} else if firstFailure == nil {
				firstFailure = r
			}
		}
		switch valid {
		case 0:
			errs = append(errs, compositionError("%q must validate one and only one schema (oneOf). %s", name, "Found none valid"))
			errs = append(errs, firstFailure...)
		case 1:
		default:
			errs = append(errs, compositionError("%q must validate one and only one schema (oneOf). %s", name, fmt.Sprintf("Found %d valid alternatives", valid)))
		}
	}
	if len(n.allOf) > 0 {
		valid := 0
		for _, sub := range n.allOf {
			r := validateValue(name, x, sub)
			if len(r) == 0 {
				valid++
			}
			errs = append(errs, r...)
		}
		if valid != len(n.allOf) {
			suffix := ""
			if valid == 0 {
				suffix = ". None validated"
			}
			errs = append(errs, compositionError("%q must validate all the schemas (allOf)%s", name, suffix))
		}
	}
	if n.not != nil && len(validateValue(name, x, n.not)) == 0 {
		errs = append(errs, compositionError("%q must not validate the schema (not)", name))
	}
	return errs
}

func checkString(name, v string, n *node) field.ErrorList {
	p, path := n.props, pathOf(name)
	length := int64(utf8.RuneCountInString(v))
	var errs field.ErrorList
	// The length and pattern checks stop at the first failure; the format
	// is checked regardless.
	switch {
	case p.MaxLength != nil && length > *p.MaxLength:
		errs = append(errs, field.TooLong(path, "", int(*p.MaxLength)))
	case p.MinLength != nil && length < *p.MinLength:
		errs = append(errs, field.Invalid(path, v, fmt.Sprintf("%s in body should be at least %d chars long", name, *p.MinLength)))
	case n.pattern != nil && !n.pattern.MatchString(v):
		errs = append(errs, field.Invalid(path, v, fmt.Sprintf("%s in body should match '%s'", name, p.Pattern)))
	}
	if n.format != "" && strfmt.Default.ContainsName(n.format) && !strfmt.Default.Validates(n.format, v) {
		errs = append(errs, typeError(name, n.format, v))
	}
	return errs
}

// checkNumber is kube-openapi's number validator. With a single type
// integer or number it first checks that the value, and each bound, fits
// that type and format (an integer bound for integer, int32 and float
// ranges); integer values are then compared with the bounds truncated to
// integers, other values as floats. A range error has no field path, like
// upstream's.
func checkNumber(name string, x any, f float64, n *node) field.ErrorList {
	p, path := n.props, pathOf(name)
	typeName, format := numberTypeFormat(n)
	xi, isInt := asInt64(x)
	var errs field.ErrorList
	rangeErr := func(v any, prefix string) bool {
		if msg := outOfRange(v, typeName, format, prefix, name); msg != "" {
			errs = append(errs, field.Invalid(nil, "", msg))
			return true
		}
		return false
	}
	rangeErr(x, "Checked")
	if m := p.MultipleOf; m != nil {
		native := !rangeErr(*m, "MultipleOf")
		switch {
		case native && isInt && int64(*m) <= 0:
			errs = append(errs, field.Invalid(path, int64(*m), fmt.Sprintf("factor MultipleOf declared for %s must be positive: %v", name, int64(*m))))
		case native && isInt:
			if xi%int64(*m) != 0 {
				errs = append(errs, field.Invalid(path, x, fmt.Sprintf("%s in body should be a multiple of %v", name, int64(*m))))
			}
		case *m <= 0:
			errs = append(errs, field.Invalid(path, *m, fmt.Sprintf("factor MultipleOf declared for %s must be positive: %v", name, *m)))
		default:
			mult := f / *m
			if *m < 1 {
				mult = 1 / *m * f
			}
			if !isJSONInteger(mult) {
				errs = append(errs, field.Invalid(path, x, fmt.Sprintf("%s in body should be a multiple of %v", name, *m)))
			}
		}
	}
	bound := func(b *float64, exclusive bool, prefix string, beyond func(v, b float64) bool, incl, excl string) {
		if b == nil {
			return
		}
		var limit any = *b
		v, lim := f, *b
		if !rangeErr(*b, prefix) && isInt {
			limit, v, lim = int64(*b), float64(xi), float64(int64(*b))
		}
		if beyond(v, lim) || (exclusive && v == lim) {
			msg := incl
			if exclusive {
				msg = excl
			}
			errs = append(errs, field.Invalid(path, x, fmt.Sprintf(msg, name, limit)))
		}
	}
	bound(p.Minimum, p.ExclusiveMinimum, "Minimum boundary", func(v, b float64) bool { return v < b },
		"%s in body should be greater than or equal to %v", "%s in body should be greater than %v")
	bound(p.Maximum, p.ExclusiveMaximum, "Maximum boundary", func(v, b float64) bool { return v > b },
		"%s in body should be less than or equal to %v", "%s in body should be less than %v")
	return errs
}

// numberTypeFormat: the type and format kube-openapi's number validator
// enforces ranges for — only for a single type.
func numberTypeFormat(n *node) (typeName, format string) {
	if n.intOrString {
		return "", ""
	}
	switch n.typ {
	case "integer":
		if n.format == "int32" || n.format == "int64" {
			return "integer", n.format
		}
		return "integer", ""
	case "number":
		if n.format == "float" || n.format == "double" {
			return "number", n.format
		}
		return "number", ""
	}
	return "", ""
}

func asInt64(x any) (int64, bool) {
	v := reflect.ValueOf(x)
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(v.Uint()), true
	}
	return 0, false
}

// outOfRange is kube-openapi's IsValueValidAgainstRange: does v, written
// out in decimal, parse as the type and format?
func outOfRange(v any, typeName, format, prefix, name string) string {
	var rep string
	if i, ok := asInt64(v); ok {
		rep = strconv.FormatInt(i, 10)
	} else if f, ok := toFloat(v); ok {
		rep = strconv.FormatFloat(f, 'f', -1, 64)
	} else {
		return ""
	}
	var err error
	switch {
	case typeName == "integer" && format == "int32":
		_, err = strconv.ParseInt(rep, 10, 32)
	case typeName == "integer":
		_, err = strconv.ParseInt(rep, 10, 64)
	case format == "float":
		_, err = strconv.ParseFloat(rep, 32)
	}
	switch {
	case err == nil:
		return ""
	case format != "":
		return fmt.Sprintf("%s value must be of type %s with format %s in %s", prefix, typeName, format, name)
	}
	return fmt.Sprintf("%s value must be of type %s (default format) in %s", prefix, typeName, name)
}

func checkArray(name string, v []any, n *node) field.ErrorList {
	p, path := n.props, pathOf(name)
	var errs field.ErrorList
	if n.items != nil {
		for i, item := range v {
			errs = append(errs, validateValue(fmt.Sprintf("%s[%d]", name, i), item, n.items)...)
		}
	}
	size := int64(len(v))
	if p.MinItems != nil && size < *p.MinItems {
		errs = append(errs, field.Invalid(path, size, fmt.Sprintf("%s in body should have at least %d items", name, *p.MinItems)))
	}
	if p.MaxItems != nil && size > *p.MaxItems {
		errs = append(errs, field.TooMany(path, int(size), int(*p.MaxItems)))
	}
	if p.UniqueItems && hasDuplicates(v) {
		errs = append(errs, field.Invalid(path, "", fmt.Sprintf("%s in body shouldn't contain duplicates", name)))
	}
	return errs
}

func hasDuplicates(v []any) bool {
	seen := map[string]bool{}
	for _, x := range v {
		b, _ := json.Marshal(x)
		if seen[string(b)] {
			return true
		}
		seen[string(b)] = true
	}
	return false
}

// checkEnum matches like kube-openapi: x is converted to each enum value's
// Go type when it can be, then compared.
func checkEnum(name string, x any, n *node) field.ErrorList {
	if len(n.enum) == 0 {
		return nil
	}
	xv := reflect.ValueOf(x)
	for _, e := range n.enum {
		et := reflect.TypeOf(e)
		if et != nil && xv.IsValid() && xv.Type().ConvertibleTo(et) && reflect.DeepEqual(xv.Convert(et).Interface(), e) {
			return nil
		}
	}
	values := make([]string, 0, len(n.enum))
	for _, e := range n.enum {
		if s, ok := e.(string); ok {
			values = append(values, s)
		} else {
			b, _ := json.Marshal(e)
			values = append(values, string(b))
		}
	}
	return field.ErrorList{field.NotSupported(pathOf(name), x, values)}
}

func checkObject(name string, m map[string]any, n *node) field.ErrorList {
	p, path := n.props, pathOf(name)
	var errs field.ErrorList
	size := int64(len(m))
	if p.MinProperties != nil && size < *p.MinProperties {
		errs = append(errs, field.Invalid(path, size, fmt.Sprintf("%s in body should have at least %d properties", name, *p.MinProperties)))
	}
	if p.MaxProperties != nil && size > *p.MaxProperties {
		errs = append(errs, field.TooMany(path, int(size), int(*p.MaxProperties)))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // upstream's order is random; ours is stable
	if ap := p.AdditionalProperties; ap != nil && !ap.Allows && ap.Schema == nil {
		for _, k := range keys { // additionalProperties: false (CRDs forbid it)
			if _, ok := n.properties[k]; !ok {
				errs = append(errs, field.Invalid(path, k, fmt.Sprintf("%s.%s in body is a forbidden property", name, k)))
			}
		}
	}
	if n.additional != nil {
		for _, k := range keys {
			if _, ok := n.properties[k]; !ok {
				errs = append(errs, validateValue(name+"."+k, m[k], n.additional)...)
			}
		}
	}
	for _, k := range keys {
		if c, ok := n.properties[k]; ok {
			child := k
			if name != "" {
				child = name + "." + k
			}
			errs = append(errs, validateValue(child, m[k], c)...)
		}
	}
	for _, k := range p.Required {
		if _, ok := m[k]; !ok {
			errs = append(errs, field.Required(pathOf(name+"."+k), ""))
		}
	}
	return errs
}
