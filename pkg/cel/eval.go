package cel

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// Input is what one evaluation sees. Objects are JSON-shaped values
// (map[string]any, []any, string, int64, float64, bool, nil — what
// runtime.DefaultUnstructuredConverter produces); a nil field is null.
type Input struct {
	Object, OldObject, Request, Params, Namespace any
	// Variables are the policy's variables, evaluated lazily (nil when
	// the environment declares none).
	Variables *Variables
}

func (in *Input) activation() map[string]any {
	act := map[string]any{
		VarObject:     in.Object,
		VarOldObject:  in.OldObject,
		VarRequest:    in.Request,
		VarParams:     in.Params,
		VarNamespace:  in.Namespace,
		VarAuthorizer: authzVal{authorizerType},
	}
	if in.Variables != nil {
		act[VarVariables] = in.Variables
	}
	return act
}

// Eval evaluates p on in.
func (p *Program) Eval(in *Input) (ref.Val, error) {
	out, _, err := p.prog.Eval(in.activation())
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EvalBool evaluates p and requires a bool.
func (p *Program) EvalBool(in *Input) (bool, error) {
	out, err := p.Eval(in)
	if err != nil {
		return false, err
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("expression %q must evaluate to bool, got %v", p.Expression, out.Type())
	}
	return bool(b), nil
}

// Variable is one named, compiled variable of a policy.
type Variable struct {
	Name    string
	Program *Program
}

// Variables is a policy's variables for one evaluation: each is evaluated
// the first time an expression names it (variables.<name>) and kept, as
// upstream's lazy composition does; later variables may name earlier ones.
type Variables struct {
	in     *Input
	index  map[string]int
	decls  []Variable
	values []ref.Val
}

// NewVariables binds decls to in (and sets in.Variables).
func NewVariables(decls []Variable, in *Input) *Variables {
	v := &Variables{in: in, index: map[string]int{}, decls: decls, values: make([]ref.Val, len(decls))}
	for i, d := range decls {
		v.index[d.Name] = i
	}
	in.Variables = v
	return v
}

func (v *Variables) value(name string) (ref.Val, bool) {
	i, ok := v.index[name]
	if !ok {
		return nil, false
	}
	if v.values[i] == nil {
		// Mark it first: a variable naming itself sees an error, not a loop.
		v.values[i] = types.NewErr("variable %q refers to itself", name)
		out, err := v.decls[i].Program.Eval(v.in)
		if err != nil {
			out = types.WrapErr(fmt.Errorf("composited variable %q fails to evaluate: %w", name, err))
		}
		v.values[i] = out
	}
	return v.values[i], true
}

var _ traits.Mapper = (*Variables)(nil)

// ConvertToNative implements ref.Val.
func (v *Variables) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("variables cannot be converted")
}

// ConvertToType implements ref.Val.
func (v *Variables) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return types.MapType
	}
	return types.NewErr("variables cannot be converted to %v", t)
}

// Equal implements ref.Val.
func (v *Variables) Equal(other ref.Val) ref.Val { return types.Bool(v == other) }

// Type implements ref.Val.
func (v *Variables) Type() ref.Type { return types.MapType }

// Value implements ref.Val.
func (v *Variables) Value() any { return v }

// Contains implements traits.Container.
func (v *Variables) Contains(key ref.Val) ref.Val {
	s, ok := key.(types.String)
	if !ok {
		return types.False
	}
	_, ok = v.index[string(s)]
	return types.Bool(ok)
}

// Get implements traits.Indexer.
func (v *Variables) Get(key ref.Val) ref.Val {
	if out, ok := v.Find(key); ok {
		return out
	}
	return types.NewErr("no such key: %v", key)
}

// Find implements traits.Mapper.
func (v *Variables) Find(key ref.Val) (ref.Val, bool) {
	s, ok := key.(types.String)
	if !ok {
		return nil, false
	}
	return v.value(string(s))
}

// Iterator implements traits.Iterable.
func (v *Variables) Iterator() traits.Iterator {
	names := make([]ref.Val, len(v.decls))
	for i, d := range v.decls {
		names[i] = types.String(d.Name)
	}
	return types.NewRefValList(types.DefaultTypeAdapter, names).(traits.Lister).Iterator()
}

// Size implements traits.Sizer.
func (v *Variables) Size() ref.Val { return types.Int(len(v.decls)) }

// ToJSON converts a CEL value to its JSON-shaped Go value (for mutation
// results and messages): maps (and Object{…} values) to map[string]any,
// lists to []any, numbers to int64/float64.
func ToJSON(v ref.Val) (any, error) {
	switch t := v.(type) {
	case nil, types.Null:
		return nil, nil
	case *types.Err:
		return nil, t
	case types.Bool:
		return bool(t), nil
	case types.Int:
		return int64(t), nil
	case types.Uint:
		return int64(t), nil
	case types.Double:
		return float64(t), nil
	case types.String:
		return string(t), nil
	case types.Bytes:
		return []byte(t), nil
	case *objectVal:
		return fieldsToJSON(t.fields)
	case traits.Mapper:
		out := map[string]any{}
		it := t.Iterator()
		for it.HasNext() == types.True {
			k := it.Next()
			ks, ok := k.(types.String)
			if !ok {
				return nil, fmt.Errorf("map key %v is not a string", k)
			}
			val, err := ToJSON(t.Get(k))
			if err != nil {
				return nil, err
			}
			out[string(ks)] = val
		}
		return out, nil
	case traits.Lister:
		out := []any{}
		it := t.Iterator()
		for it.HasNext() == types.True {
			val, err := ToJSON(it.Next())
			if err != nil {
				return nil, err
			}
			out = append(out, val)
		}
		return out, nil
	}
	native := v.Value()
	switch native.(type) {
	case map[string]any, []any, string, int64, float64, bool:
		return native, nil
	}
	return nil, fmt.Errorf("value of type %v cannot be written to an object", v.Type())
}

func fieldsToJSON(fields map[string]ref.Val) (map[string]any, error) {
	out := make(map[string]any, len(fields))
	for k, f := range fields {
		val, err := ToJSON(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = val
	}
	return out, nil
}
