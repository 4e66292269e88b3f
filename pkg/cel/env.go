package cel

import (
	"fmt"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
)

// The variables an admission expression may name, as upstream declares
// them.
const (
	VarObject     = "object"
	VarOldObject  = "oldObject"
	VarRequest    = "request"
	VarParams     = "params"
	VarNamespace  = "namespaceObject"
	VarVariables  = "variables"
	VarAuthorizer = "authorizer"
)

// Options picks the optional declarations of one environment. object,
// oldObject and request are always declared.
type Options struct {
	// Params declares params (a policy with a paramKind, and
	// matchConditions of a policy).
	Params bool
	// Policy declares namespaceObject and variables (admission policies;
	// webhook matchConditions have neither).
	Policy bool
	// Authorizer declares authorizer.
	Authorizer bool
	// Mutation allows building Object{…} and JSONPatch{…} values
	// (MutatingAdmissionPolicy mutations).
	Mutation bool
}

// PerCallLimit is the cost budget of one evaluation, upstream's
// celconfig.PerCallLimit.
const PerCallLimit = 1000000

// Compiler compiles expressions against one environment per Options. It
// is safe for concurrent use; environments are built on first use and
// kept.
type Compiler struct {
	mu   sync.Mutex
	envs map[Options]*cel.Env

	typedMu sync.Mutex
	typed   map[typedKey]*cel.Env
}

// NewCompiler returns an empty Compiler.
func NewCompiler() *Compiler {
	return &Compiler{envs: map[Options]*cel.Env{}, typed: map[typedKey]*cel.Env{}}
}

func (c *Compiler) env(o Options) (*cel.Env, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.envs[o]; ok {
		return e, nil
	}
	e, err := newEnv(o, nil)
	if err != nil {
		return nil, err
	}
	c.envs[o] = e
	return e, nil
}

// newEnv builds the environment of o. Objects are dynamically typed (dyn),
// as upstream compiles them for admission: type errors inside an object
// show at evaluation.
//
// A typed environment (TypeCheck) passes a provider p of Go types and the
// object's type; object and oldObject are then declared with it.
func newEnv(o Options, typed *goTypes, objType ...*types.Type) (*cel.Env, error) {
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, err
	}
	objT := cel.DynType
	if typed != nil {
		objT = objType[0]
	}
	opts := []cel.EnvOption{
		cel.Variable(VarObject, objT),
		cel.Variable(VarOldObject, objT),
		cel.Variable(VarRequest, cel.DynType),
		cel.EagerlyValidateDeclarations(true),
		cel.DefaultUTCTimeZone(true),
		cel.CrossTypeNumericComparisons(true),
		cel.OptionalTypes(),
		ext.Strings(ext.StringsVersion(2)),
		ext.Sets(),
		ext.TwoVarComprehensions(),
		ext.Network(),
		listsLibrary,
		regexLibrary,
	}
	if typed != nil {
		opts = append([]cel.EnvOption{cel.CustomTypeProvider(typed), cel.CustomTypeAdapter(typed.Registry)}, opts...)
	} else if o.Mutation {
		p := &objectProvider{Registry: reg}
		opts = append([]cel.EnvOption{cel.CustomTypeProvider(p), cel.CustomTypeAdapter(reg)}, opts...)
		opts = append(opts, jsonPatchLibrary)
	}
	if o.Params {
		opts = append(opts, cel.Variable(VarParams, cel.DynType))
	}
	if o.Policy {
		opts = append(opts, cel.Variable(VarNamespace, cel.DynType),
			cel.Variable(VarVariables, cel.MapType(cel.StringType, cel.DynType)))
	}
	if o.Authorizer {
		opts = append(opts, authorizerLibrary)
	}
	return cel.NewEnv(opts...)
}

// Error is a compile failure in upstream's shape: Detail is the field
// error's detail ("compilation failed: …", "must evaluate to bool but got
// string"); Required marks an empty expression.
type Error struct {
	Detail   string
	Required bool
}

func (e *Error) Error() string { return e.Detail }

// Program is one compiled expression, ready to evaluate many times.
type Program struct {
	Expression string
	prog       cel.Program
}

// Compile parses and checks expr in the environment of o, and refuses a
// result type outside want (dyn results are checked when evaluated). It
// returns an *Error for a bad expression.
func (c *Compiler) Compile(expr string, o Options, want ...*cel.Type) (*Program, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, &Error{Detail: "expression is not specified", Required: true}
	}
	env, err := c.env(o)
	if err != nil {
		return nil, fmt.Errorf("CEL environment: %w", err)
	}
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		return nil, &Error{Detail: "compilation failed: " + iss.String()}
	}
	if len(want) > 0 {
		out := ast.OutputType()
		ok := out.IsExactType(cel.DynType) || out.IsExactType(cel.AnyType)
		for _, t := range want {
			ok = ok || out.IsExactType(t) || t.IsExactType(cel.DynType)
		}
		if !ok {
			if len(want) == 1 {
				return nil, &Error{Detail: fmt.Sprintf("must evaluate to %v but got %v", want[0], out)}
			}
			return nil, &Error{Detail: fmt.Sprintf("must evaluate to one of %v but got %v", want, out)}
		}
	}
	prog, err := env.Program(ast, cel.CostLimit(PerCallLimit), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, &Error{Detail: "program instantiation failed: " + err.Error()}
	}
	return &Program{Expression: expr, prog: prog}, nil
}
