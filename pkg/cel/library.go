package cel

import (
	"reflect"
	"regexp"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// The Kubernetes CEL extension functions (upstream's
// k8s.io/apiserver/pkg/cel/library), those policies commonly use:
//
//	<list>.isSorted() bool, <list<T>>.sum() T, .min() T, .max() T,
//	<list<T>>.indexOf(T) int, .lastIndexOf(T) int       (lists)
//	<string>.find(regex) string, .findAll(regex) list(string),
//	.findAll(regex, int) list(string)                   (regex)
//
// ip/cidr come from cel-go's ext.Network (upstream parity), strings
// and sets from cel-go's ext.Strings and ext.Sets, as upstream.

var (
	paramT    = cel.TypeParamType("T")
	listOfT   = cel.ListType(paramT)
	listOfStr = cel.ListType(cel.StringType)
)

var listsLibrary = cel.Lib(funcLib{
	cel.Function("isSorted", cel.MemberOverload("list_is_sorted", []*cel.Type{listOfT}, cel.BoolType,
		cel.UnaryBinding(func(l ref.Val) ref.Val { return isSorted(l) }))),
	cel.Function("sum", cel.MemberOverload("list_sum", []*cel.Type{listOfT}, paramT,
		cel.UnaryBinding(sum))),
	cel.Function("min", cel.MemberOverload("list_min", []*cel.Type{listOfT}, paramT,
		cel.UnaryBinding(func(l ref.Val) ref.Val { return extreme(l, -1) }))),
	cel.Function("max", cel.MemberOverload("list_max", []*cel.Type{listOfT}, paramT,
		cel.UnaryBinding(func(l ref.Val) ref.Val { return extreme(l, 1) }))),
	cel.Function("indexOf", cel.MemberOverload("list_index_of", []*cel.Type{listOfT, paramT}, cel.IntType,
		cel.BinaryBinding(func(l, v ref.Val) ref.Val { return indexOf(l, v, false) }))),
	cel.Function("lastIndexOf", cel.MemberOverload("list_last_index_of", []*cel.Type{listOfT, paramT}, cel.IntType,
		cel.BinaryBinding(func(l, v ref.Val) ref.Val { return indexOf(l, v, true) }))),
})

var regexLibrary = cel.Lib(funcLib{
	cel.Function("find", cel.MemberOverload("string_find_string", []*cel.Type{cel.StringType, cel.StringType}, cel.StringType,
		cel.BinaryBinding(func(s, re ref.Val) ref.Val {
			r, err := regexp.Compile(string(re.(types.String)))
			if err != nil {
				return types.WrapErr(err)
			}
			return types.String(r.FindString(string(s.(types.String))))
		}))),
	cel.Function("findAll",
		cel.MemberOverload("string_find_all_string", []*cel.Type{cel.StringType, cel.StringType}, listOfStr,
			cel.BinaryBinding(func(s, re ref.Val) ref.Val { return findAll(s, re, types.Int(-1)) })),
		cel.MemberOverload("string_find_all_string_int", []*cel.Type{cel.StringType, cel.StringType, cel.IntType}, listOfStr,
			cel.FunctionBinding(func(args ...ref.Val) ref.Val { return findAll(args[0], args[1], args[2]) }))),
})

// funcLib bundles env options as a cel.Library.
type funcLib []cel.EnvOption

func (l funcLib) CompileOptions() []cel.EnvOption     { return l }
func (l funcLib) ProgramOptions() []cel.ProgramOption { return nil }

func elements(l ref.Val) ([]ref.Val, ref.Val) {
	list, ok := l.(traits.Lister)
	if !ok {
		return nil, types.MaybeNoSuchOverloadErr(l)
	}
	var out []ref.Val
	for it := list.Iterator(); it.HasNext() == types.True; {
		out = append(out, it.Next())
	}
	return out, nil
}

func compare(a, b ref.Val) (int, ref.Val) {
	c, ok := a.(traits.Comparer)
	if !ok {
		return 0, types.MaybeNoSuchOverloadErr(a)
	}
	r := c.Compare(b)
	i, ok := r.(types.Int)
	if !ok {
		return 0, r
	}
	return int(i), nil
}

func isSorted(l ref.Val) ref.Val {
	elems, err := elements(l)
	if err != nil {
		return err
	}
	for i := 1; i < len(elems); i++ {
		c, err := compare(elems[i-1], elems[i])
		if err != nil {
			return err
		}
		if c > 0 {
			return types.False
		}
	}
	return types.True
}

func sum(l ref.Val) ref.Val {
	elems, err := elements(l)
	if err != nil {
		return err
	}
	if len(elems) == 0 {
		return types.IntZero
	}
	acc := elems[0]
	for _, e := range elems[1:] {
		adder, ok := acc.(traits.Adder)
		if !ok {
			return types.MaybeNoSuchOverloadErr(acc)
		}
		acc = adder.Add(e)
		if types.IsError(acc) {
			return acc
		}
	}
	return acc
}

// extreme returns the least (sign -1) or greatest (sign 1) element.
func extreme(l ref.Val, sign int) ref.Val {
	elems, err := elements(l)
	if err != nil {
		return err
	}
	if len(elems) == 0 {
		return types.NewErr("%s called on empty list", map[int]string{-1: "min", 1: "max"}[sign])
	}
	best := elems[0]
	for _, e := range elems[1:] {
		c, err := compare(e, best)
		if err != nil {
			return err
		}
		if c*sign > 0 {
			best = e
		}
	}
	return best
}

func indexOf(l, v ref.Val, last bool) ref.Val {
	elems, err := elements(l)
	if err != nil {
		return err
	}
	found := -1
	for i, e := range elems {
		if e.Equal(v) == types.True {
			found = i
			if !last {
				break
			}
		}
	}
	return types.Int(found)
}

func findAll(s, re, n ref.Val) ref.Val {
	r, err := regexp.Compile(string(re.(types.String)))
	if err != nil {
		return types.WrapErr(err)
	}
	out := r.FindAllString(string(s.(types.String)), int(n.(types.Int)))
	if out == nil {
		out = []string{}
	}
	return types.DefaultTypeAdapter.NativeToValue(out)
}

// The authorizer variable. Upstream answers authorizer checks with the
// server's authorizer; this stub does not call tinykube's (RBAC, still to
// be wired in here) and answers every check "allowed" — policies that use
// authorizer compile and run, and see a permissive cluster.
var (
	authorizerType    = cel.ObjectType("kubernetes.authorization.Authorizer")
	pathCheckType     = cel.ObjectType("kubernetes.authorization.PathCheck")
	groupCheckType    = cel.ObjectType("kubernetes.authorization.GroupCheck")
	resourceCheckType = cel.ObjectType("kubernetes.authorization.ResourceCheck")
	decisionType      = cel.ObjectType("kubernetes.authorization.Decision")
)

// authzVal is a value of one of the authorizer types.
type authzVal struct{ t *types.Type }

func (a authzVal) ConvertToNative(reflect.Type) (any, error) { return nil, nil }
func (a authzVal) ConvertToType(ref.Type) ref.Val {
	return types.NewErr("authorizer values do not convert")
}
func (a authzVal) Equal(o ref.Val) ref.Val { return types.Bool(a == o) }
func (a authzVal) Type() ref.Type          { return a.t }
func (a authzVal) Value() any              { return a }

func authzTo(t *types.Type) func(...ref.Val) ref.Val {
	return func(...ref.Val) ref.Val { return authzVal{t} }
}

func member(name string, from *types.Type, args []*types.Type, to *types.Type, fn func(...ref.Val) ref.Val) cel.EnvOption {
	id := from.DeclaredTypeName() + "_" + name
	return cel.Function(name, cel.MemberOverload(id, append([]*cel.Type{from}, args...), to, cel.FunctionBinding(fn)))
}

var authorizerLibrary = cel.Lib(funcLib{
	cel.Variable(VarAuthorizer, authorizerType),
	member("path", authorizerType, []*cel.Type{cel.StringType}, pathCheckType, authzTo(pathCheckType)),
	member("group", authorizerType, []*cel.Type{cel.StringType}, groupCheckType, authzTo(groupCheckType)),
	member("serviceAccount", authorizerType, []*cel.Type{cel.StringType, cel.StringType}, authorizerType, authzTo(authorizerType)),
	member("resource", groupCheckType, []*cel.Type{cel.StringType}, resourceCheckType, authzTo(resourceCheckType)),
	member("subresource", resourceCheckType, []*cel.Type{cel.StringType}, resourceCheckType, authzTo(resourceCheckType)),
	member("namespace", resourceCheckType, []*cel.Type{cel.StringType}, resourceCheckType, authzTo(resourceCheckType)),
	member("name", resourceCheckType, []*cel.Type{cel.StringType}, resourceCheckType, authzTo(resourceCheckType)),
	member("check", resourceCheckType, []*cel.Type{cel.StringType}, decisionType, authzTo(decisionType)),
	member("check", pathCheckType, []*cel.Type{cel.StringType}, decisionType, authzTo(decisionType)),
	member("allowed", decisionType, nil, cel.BoolType, func(...ref.Val) ref.Val { return types.True }),
	member("errored", decisionType, nil, cel.BoolType, func(...ref.Val) ref.Val { return types.False }),
	member("reason", decisionType, nil, cel.StringType, func(...ref.Val) ref.Val { return types.String("") }),
	member("error", decisionType, nil, cel.StringType, func(...ref.Val) ref.Val { return types.String("") }),
})
