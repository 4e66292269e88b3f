package cel

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Type checking. Admission compiles object and oldObject as dyn, so a
// type error inside an object shows only at evaluation; upstream's
// ValidatingAdmissionPolicy status controller also checks each
// expression against the matched kinds' schemas and reports what does
// not fit as status.typeChecking warnings. TypeCheck does that against a
// built-in kind's Go type (fields by their JSON names, int32/int64 as
// int, metav1.Time as timestamp, quantities and int-or-strings as dyn).

// TypeCheck compiles expr with object and oldObject typed as objType (a
// struct type, e.g. reflect.TypeFor[appsv1.Deployment]()) and returns the
// compiler's complaint, "" if none.
//
// Checks run one at a time: a typed environment's provider learns the Go
// types it meets while checking.
func (c *Compiler) TypeCheck(expr string, o Options, objType reflect.Type) string {
	c.typedMu.Lock()
	defer c.typedMu.Unlock()
	env, err := c.typedEnvLocked(o, objType)
	if err != nil {
		return err.Error()
	}
	if _, iss := env.Compile(expr); iss != nil && iss.Err() != nil {
		return iss.String()
	}
	return ""
}

type typedKey struct {
	o Options
	t reflect.Type
}

// typedEnvLocked returns the typed environment of o and t; the caller
// holds typedMu.
func (c *Compiler) typedEnvLocked(o Options, t reflect.Type) (*cel.Env, error) {
	if e, ok := c.typed[typedKey{o, t}]; ok {
		return e, nil
	}
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, err
	}
	p := &goTypes{Registry: reg, byName: map[string]reflect.Type{}}
	e, err := newEnv(o, p, p.celType(t))
	if err != nil {
		return nil, err
	}
	c.typed[typedKey{o, t}] = e
	return e, nil
}

// goTypes declares Go struct types to the checker by their JSON field
// names. It is used for checking only: its values are never built.
type goTypes struct {
	*types.Registry
	byName map[string]reflect.Type
}

var (
	timeType     = reflect.TypeFor[metav1.Time]()
	microType    = reflect.TypeFor[metav1.MicroTime]()
	quantityType = reflect.TypeFor[resource.Quantity]()
	intstrType   = reflect.TypeFor[intstr.IntOrString]()
	rawType      = reflect.TypeFor[runtime.RawExtension]()
	durationType = reflect.TypeFor[metav1.Duration]()
)

func (p *goTypes) celType(t reflect.Type) *types.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case timeType, microType:
		return types.TimestampType
	case quantityType, intstrType, rawType, durationType:
		return types.DynType
	}
	switch t.Kind() {
	case reflect.String:
		return types.StringType
	case reflect.Bool:
		return types.BoolType
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return types.IntType
	case reflect.Float32, reflect.Float64:
		return types.DoubleType
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return types.BytesType
		}
		return types.NewListType(p.celType(t.Elem()))
	case reflect.Map:
		if t.Key().Kind() == reflect.String {
			return types.NewMapType(types.StringType, p.celType(t.Elem()))
		}
	case reflect.Struct:
		name := strings.NewReplacer("/", ".", "-", "_").Replace(t.PkgPath()) + "." + t.Name()
		p.byName[name] = t
		return types.NewObjectType(name)
	}
	return types.DynType
}

// fields returns t's fields by JSON name, inlined structs flattened.
func fields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" && (strings.Contains(opts, "inline") || f.Anonymous) && f.Type.Kind() == reflect.Struct {
			for k, v := range fields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// FindStructType implements types.Provider.
func (p *goTypes) FindStructType(name string) (*types.Type, bool) {
	if _, ok := p.byName[name]; ok {
		return types.NewTypeTypeWithParam(types.NewObjectType(name)), true
	}
	return p.Registry.FindStructType(name)
}

// FindStructFieldNames implements types.Provider.
func (p *goTypes) FindStructFieldNames(name string) ([]string, bool) {
	t, ok := p.byName[name]
	if !ok {
		return p.Registry.FindStructFieldNames(name)
	}
	var out []string
	for k := range fields(t) {
		out = append(out, k)
	}
	return out, true
}

// FindStructFieldType implements types.Provider.
func (p *goTypes) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	t, ok := p.byName[name]
	if !ok {
		return p.Registry.FindStructFieldType(name, field)
	}
	ft, ok := fields(t)[field]
	if !ok {
		return nil, false
	}
	return &types.FieldType{
		Type:    p.celType(ft),
		IsSet:   func(any) bool { return false },
		GetFrom: func(any) (any, error) { return nil, fmt.Errorf("type-checking only") },
	}, true
}

// NewValue implements types.Provider.
func (p *goTypes) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if _, ok := p.byName[name]; ok {
		return types.NewErr("type-checking only")
	}
	return p.Registry.NewValue(name, fields)
}
