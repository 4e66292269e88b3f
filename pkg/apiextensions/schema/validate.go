package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
)

// Validate checks obj against the schema's value validations the way
// upstream's ValidateCustomResource (kube-openapi's validator) and its
// list-type check do, and returns upstream's field errors. Messages name
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

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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
	isFloatInt := typ == "number" && isJSONInteger(f) && has(types, "integer")
	isIntFloat := typ == "integer" && has(types, "number")
	isLowerInt := n.format == "int64" && format == "int32"
	strOrSlice := typ == "string" || typ == "array"
	if !strOrSlice && n.format != "" && !(has(types, typ) || format == n.format || isFloatInt || isIntFloat || isLowerInt) {
		return field.ErrorList{typeError(name, n.format, format)}
	}
	if !has(types, "number") && !has(types, "integer") && n.format != "" && strOrSlice {
		return nil
	}
	if !(has(types, typ) || isFloatInt || isIntFloat) {
		return field.ErrorList{typeError(name, strings.Join(types, ","), typ)}
	}
	return nil
}

// isJSONInteger is go-openapi's test for a float that is an integer.
func isJSONInteger(f float64) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<53 {
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

func checkNumber(name string, x any, f float64, n *node) field.ErrorList {
	p, path := n.props, pathOf(name)
	var errs field.ErrorList
	// Only int32 and float bound the value's range; the error is reported
	// like upstream's, without a field path.
	if rep, ok := outOfRange(x, f, n); ok {
		errs = append(errs, field.Invalid(nil, "", fmt.Sprintf("strconv.ParseInt: parsing %q: value out of range", rep)))
	}
	if m := p.MultipleOf; m != nil && !isMultiple(x, f, *m) {
		errs = append(errs, field.Invalid(path, x, fmt.Sprintf("%s in body should be a multiple of %v", name, *m)))
	}
	if min := p.Minimum; min != nil && (f < *min || (p.ExclusiveMinimum && f == *min)) {
		msg := "%s in body should be greater than or equal to %v"
		if p.ExclusiveMinimum {
			msg = "%s in body should be greater than %v"
		}
		errs = append(errs, field.Invalid(path, x, fmt.Sprintf(msg, name, *min)))
	}
	if max := p.Maximum; max != nil && (f > *max || (p.ExclusiveMaximum && f == *max)) {
		msg := "%s in body should be less than or equal to %v"
		if p.ExclusiveMaximum {
			msg = "%s in body should be less than %v"
		}
		errs = append(errs, field.Invalid(path, x, fmt.Sprintf(msg, name, *max)))
	}
	return errs
}

func outOfRange(x any, f float64, n *node) (string, bool) {
	if n.typ != "integer" || n.intOrString || n.format != "int32" {
		return "", false
	}
	var rep string
	switch v := x.(type) {
	case int64:
		rep = strconv.FormatInt(v, 10)
	case int:
		rep = strconv.Itoa(v)
	default:
		if !isJSONInteger(f) {
			return "", false // the type check reports it
		}
		rep = strconv.FormatFloat(f, 'f', -1, 64)
	}
	return rep, f < math.MinInt32 || f > math.MaxInt32
}

func isMultiple(x any, f, factor float64) bool {
	if factor == 0 {
		return true
	}
	if i, ok := x.(int64); ok && factor == math.Trunc(factor) && math.Abs(factor) < 1<<62 {
		return i%int64(factor) == 0
	}
	mult := f / factor
	if factor < 1 {
		mult = 1 / factor * f
	}
	return isJSONInteger(mult)
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
