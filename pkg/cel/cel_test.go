package cel

import (
	appsv1 "k8s.io/api/apps/v1"
	"reflect"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
)

func TestCompileAndEval(t *testing.T) {
	c := NewCompiler()
	obj := map[string]any{"metadata": map[string]any{"name": "a", "labels": map[string]any{"x": "y"}},
		"spec": map[string]any{"replicas": int64(3)}}
	cases := []struct {
		expr string
		opts Options
		want any
	}{
		{"object.spec.replicas > 1", Options{}, true},
		{"object.spec.replicas + params.n", Options{Params: true}, int64(5)},
		{"variables.r % 2 == 1", Options{Policy: true}, true},
		{"[3, 1, 2].max() == 3 && [1, 2].isSorted() && [1, 2, 2].lastIndexOf(2) == 2 && [1, 2].sum() == 3", Options{}, true},
		{"'abc123'.find('[0-9]+') == '123' && 'a1b2'.findAll('[0-9]').size() == 2", Options{}, true},
		{"'Hello'.lowerAscii() == 'hello' && isIP('1.2.3.4')", Options{}, true},
		{"authorizer.group('apps').resource('deployments').check('create').allowed()", Options{Authorizer: true}, true},
		{"has(object.metadata.labels) && oldObject == null", Options{}, true},
		{"Object{spec: Object.spec{replicas: 1337}}", Options{Mutation: true},
			map[string]any{"spec": map[string]any{"replicas": int64(1337)}}},
		{`Object{metadata: Object.metadata{annotations: {"a": "b"}}}`, Options{Mutation: true},
			map[string]any{"metadata": map[string]any{"annotations": map[string]any{"a": "b"}}}},
	}
	for _, tc := range cases {
		p, err := c.Compile(tc.expr, tc.opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		in := &Input{Object: obj, Params: map[string]any{"n": int64(2)}}
		NewVariables([]Variable{{Name: "r", Program: mustCompile(t, c, "object.spec.replicas", tc.opts)}}, in)
		out, err := p.Eval(in)
		if err != nil {
			t.Fatalf("%s: eval: %v", tc.expr, err)
		}
		got, err := ToJSON(out)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s = %#v, want %#v", tc.expr, got, tc.want)
		}
	}
}

func mustCompile(t *testing.T, c *Compiler, expr string, o Options) *Program {
	p, err := c.Compile(expr, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCompileErrors(t *testing.T) {
	c := NewCompiler()
	for expr, want := range map[string]string{
		"... [] bad expression": "compilation failed: ERROR: <input>:1:",
		"'a'":                   "must evaluate to bool but got string",
		"params.x":              "undeclared reference to 'params'",
		"Object{spec: 1}":       "undeclared reference to 'Object'",
		"variables.x":           "undeclared reference to 'variables'",
		"authorizer.path('/x')": "undeclared reference to 'authorizer'",
	} {
		_, err := c.Compile(expr, Options{}, cel.BoolType)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", expr, err, want)
		}
	}
	JSONPatch := "[JSONPatch{op: 'add', path: '/metadata/labels/' + jsonpatch.escapeKey('a/b'), value: 'x'}]"
	p := mustCompile(t, c, JSONPatch, Options{Mutation: true})
	out, err := p.Eval(&Input{})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := ToJSONPatch(out)
	if err != nil || len(ops) != 1 || ops[0].Path != "/metadata/labels/a~1b" || ops[0].Value != "x" {
		t.Fatalf("ops %+v, %v", ops, err)
	}
}

// FuzzCompile: no expression panics the compiler or an evaluation.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{"object.spec.replicas > 1", "... [] bad", "Object{spec: Object.spec{x: [1]}}",
		"'a'.findAll('(')", "[1,2].sum()", "variables.a"} {
		f.Add(s)
	}
	c := NewCompiler()
	f.Fuzz(func(t *testing.T, expr string) {
		p, err := c.Compile(expr, Options{Params: true, Policy: true, Authorizer: true, Mutation: true})
		if err != nil {
			return
		}
		in := &Input{Object: map[string]any{"a": int64(1)}}
		NewVariables(nil, in)
		if out, err := p.Eval(in); err == nil {
			_, _ = ToJSON(out)
		}
	})
}

func TestTypeCheck(t *testing.T) {
	c := NewCompiler()
	dep := reflect.TypeFor[appsv1.Deployment]()
	for expr, want := range map[string]string{
		"object.spec.replicas > 1": "",
		"object.metadata.name.startsWith('a') && object.kind == 'Deployment'": "",
		"object.spec.replicas > '1'":                                          "found no matching overload for '_>_' applied to '(int, string)'",
		"'wants replicas > 1, got ' + object.spec.replicas":                   "found no matching overload for '_+_' applied to '(string, int)'",
		"object.spec.maxRetries < 10":                                         "undefined field 'maxRetries'",
		"object.metadata.creationTimestamp < now":                             "undeclared reference to 'now'",
		"object.spec.template.spec.containers.all(c, c.image != '')":          "",
	} {
		got := c.TypeCheck(expr, Options{Policy: true, Authorizer: true}, dep)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", expr, got, want)
		}
	}
}
