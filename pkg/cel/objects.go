package cel

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// Mutation environments build partial objects the way upstream's
// MutatingAdmissionPolicy does: Object{spec: Object.spec{replicas: 3}}
// names the object's type "Object" and each nested type by its path
// ("Object.spec", "Object.metadata.labels" …); JSONPatch{op: "add",
// path: "/x", value: 1} is one JSON patch operation. Fields are untyped
// (dyn): the merge into the real object checks them.

// Type names of mutation values.
const (
	ObjectTypeName    = "Object"
	JSONPatchTypeName = "JSONPatch"
)

// jsonPatchFields are the fields a JSONPatch value may set.
var jsonPatchFields = map[string]bool{"op": true, "path": true, "from": true, "value": true}

// objectProvider resolves Object… and JSONPatch type names on top of the
// standard registry.
type objectProvider struct {
	*types.Registry
}

var _ types.Provider = (*objectProvider)(nil)

func isObjectType(name string) bool {
	return name == ObjectTypeName || strings.HasPrefix(name, ObjectTypeName+".")
}

// FindStructType implements types.Provider.
func (p *objectProvider) FindStructType(name string) (*types.Type, bool) {
	if isObjectType(name) || name == JSONPatchTypeName {
		return types.NewTypeTypeWithParam(types.NewObjectType(name)), true
	}
	return p.Registry.FindStructType(name)
}

// FindStructFieldNames implements types.Provider.
func (p *objectProvider) FindStructFieldNames(name string) ([]string, bool) {
	if isObjectType(name) {
		return nil, true
	}
	if name == JSONPatchTypeName {
		return []string{"op", "path", "from", "value"}, true
	}
	return p.Registry.FindStructFieldNames(name)
}

// FindStructFieldType implements types.Provider.
func (p *objectProvider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if isObjectType(name) || (name == JSONPatchTypeName && jsonPatchFields[field]) {
		t := types.DynType
		if name == JSONPatchTypeName && field != "value" {
			t = types.StringType
		}
		return &types.FieldType{
			Type:    t,
			IsSet:   func(target any) bool { return target.(*objectVal).fields[field] != nil },
			GetFrom: func(target any) (any, error) { return target.(*objectVal).fields[field], nil },
		}, true
	}
	return p.Registry.FindStructFieldType(name, field)
}

// NewValue implements types.Provider.
func (p *objectProvider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if isObjectType(name) || name == JSONPatchTypeName {
		return &objectVal{typeName: name, fields: fields}
	}
	return p.Registry.NewValue(name, fields)
}

// objectVal is an Object… or JSONPatch value built by an expression.
type objectVal struct {
	typeName string
	fields   map[string]ref.Val
}

// ConvertToNative implements ref.Val.
func (o *objectVal) ConvertToNative(t reflect.Type) (any, error) {
	v, err := fieldsToJSON(o.fields)
	if err != nil {
		return nil, err
	}
	if reflect.TypeOf(v).AssignableTo(t) {
		return v, nil
	}
	return nil, fmt.Errorf("%s cannot be converted to %v", o.typeName, t)
}

// ConvertToType implements ref.Val.
func (o *objectVal) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return types.NewObjectType(o.typeName)
	}
	return types.NewErr("%s cannot be converted to %v", o.typeName, t)
}

// Equal implements ref.Val.
func (o *objectVal) Equal(other ref.Val) ref.Val {
	ov, ok := other.(*objectVal)
	if !ok || ov.typeName != o.typeName || len(ov.fields) != len(o.fields) {
		return types.False
	}
	for k, v := range o.fields {
		w, ok := ov.fields[k]
		if !ok || v.Equal(w) != types.True {
			return types.False
		}
	}
	return types.True
}

// Type implements ref.Val.
func (o *objectVal) Type() ref.Type { return types.NewObjectType(o.typeName) }

// Value implements ref.Val.
func (o *objectVal) Value() any { return o }

// IsSet implements traits.FieldTester (has(x.field)).
func (o *objectVal) IsSet(field ref.Val) ref.Val {
	s, ok := field.(types.String)
	if !ok {
		return types.False
	}
	_, ok = o.fields[string(s)]
	return types.Bool(ok)
}

// Get implements traits.Indexer (x.field).
func (o *objectVal) Get(field ref.Val) ref.Val {
	s, ok := field.(types.String)
	if !ok {
		return types.NewErr("no such field: %v", field)
	}
	if v, ok := o.fields[string(s)]; ok {
		return v
	}
	return types.NewErr("no such field: %s", s)
}

// JSONPatchOp is one operation of a JSONPatch mutation's result.
type JSONPatchOp struct {
	Op, Path, From string
	Value          any
	HasValue       bool
}

// ToJSONPatch converts a JSONPatch mutation's result (a list of JSONPatch
// values) to its operations.
func ToJSONPatch(v ref.Val) ([]JSONPatchOp, error) {
	list, ok := v.(traits.Lister)
	if !ok {
		return nil, fmt.Errorf("JSONPatch expression must evaluate to a list of JSONPatch, got %v", v.Type())
	}
	var ops []JSONPatchOp
	var err error
	for it := list.Iterator(); it.HasNext() == types.True; {
		item := it.Next()
		o, ok := item.(*objectVal)
		if !ok || o.typeName != JSONPatchTypeName {
			return nil, fmt.Errorf("JSONPatch expression must evaluate to a list of JSONPatch, got %v", item.Type())
		}
		var op JSONPatchOp
		str := func(k string) string {
			if s, ok := o.fields[k].(types.String); ok {
				return string(s)
			}
			return ""
		}
		op.Op, op.Path, op.From = str("op"), str("path"), str("from")
		if val, ok := o.fields["value"]; ok {
			if op.Value, err = ToJSON(val); err != nil {
				return nil, err
			}
			op.HasValue = true
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// jsonPatchLibrary adds jsonpatch.escapeKey(string), which escapes '~'
// and '/' for a JSON pointer path segment.
var jsonPatchLibrary = cel.Function("jsonpatch.escapeKey",
	cel.Overload("string_jsonpatch_escapeKey", []*cel.Type{cel.StringType}, cel.StringType,
		cel.UnaryBinding(func(v ref.Val) ref.Val {
			s, ok := v.(types.String)
			if !ok {
				return types.MaybeNoSuchOverloadErr(v)
			}
			return types.String(strings.ReplaceAll(strings.ReplaceAll(string(s), "~", "~0"), "/", "~1"))
		})))
