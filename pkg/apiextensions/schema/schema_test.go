package schema

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// mustSchema parses a JSON schema and compiles it.
func mustSchema(t testing.TB, js string) *Schema {
	t.Helper()
	s, err := New(mustProps(t, js))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func mustProps(t testing.TB, js string) *apiextensionsv1.JSONSchemaProps {
	t.Helper()
	var p apiextensionsv1.JSONSchemaProps
	if err := json.Unmarshal([]byte(js), &p); err != nil {
		t.Fatalf("schema %s: %v", js, err)
	}
	return &p
}

func mustObj(t testing.TB, js string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := utiljson.Unmarshal([]byte(js), &m); err != nil {
		t.Fatalf("object %s: %v", js, err)
	}
	return m
}

func jsonEqual(t *testing.T, got map[string]any, want string) {
	t.Helper()
	w := mustObj(t, want)
	if !reflect.DeepEqual(got, w) {
		g, _ := json.Marshal(got)
		t.Errorf("got  %s\nwant %s", g, want)
	}
}

const specSchema = `{"type":"object","properties":{
  "spec":{"type":"object","properties":{
    "replicas":{"type":"integer"},
    "list":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"}}}},
    "labels":{"type":"object","additionalProperties":{"type":"object","properties":{"v":{"type":"string"}}}},
    "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"known":{"type":"object","properties":{"a":{"type":"string"}}}}},
    "template":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"spec":{"type":"object"}}},
    "nullme":{"type":"string"},
    "nullok":{"type":"string","nullable":true}
  }}}}`

func TestPrune(t *testing.T) {
	tests := []struct {
		name, schema, obj, want string
		paths                   []string
	}{{
		name:   "unknown fields at every level, sorted",
		schema: specSchema,
		obj: `{"apiVersion":"x/v1","kind":"K","metadata":{"name":"a"},"zzz":1,
		  "spec":{"replicas":1,"foo":1,"list":[{"name":"a","bar":2},{"baz":3}],"labels":{"k":{"v":"x","w":"y"}}}}`,
		want: `{"apiVersion":"x/v1","kind":"K","metadata":{"name":"a"},
		  "spec":{"replicas":1,"list":[{"name":"a"},{}],"labels":{"k":{"v":"x"}}}}`,
		paths: []string{"spec.foo", "spec.labels.k.w", "spec.list[0].bar", "spec.list[1].baz", "zzz"},
	}, {
		name:   "preserve-unknown-fields keeps unknowns but prunes declared fields",
		schema: specSchema,
		obj:    `{"spec":{"free":{"x":{"y":1},"known":{"a":"s","b":1}}}}`,
		want:   `{"spec":{"free":{"x":{"y":1},"known":{"a":"s"}}}}`,
		paths:  []string{"spec.free.known.b"},
	}, {
		name:   "root metadata reduced to ObjectMeta; reported first",
		schema: specSchema,
		obj:    `{"metadata":{"name":"a","bogus":1,"ownerReferences":[{"name":"o","x":1}]},"a":1}`,
		want:   `{"metadata":{"name":"a","ownerReferences":[{"apiVersion":"","kind":"","name":"o","uid":""}]}}`,
		paths:  []string{"metadata.bogus", "metadata.ownerReferences[0].x", "a"},
	}, {
		name:   "embedded resource keeps apiVersion/kind/metadata and prunes its metadata",
		schema: specSchema,
		obj:    `{"spec":{"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","junk":true},"spec":{"x":1},"other":1}}}`,
		want:   `{"spec":{"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{}}}}`,
		paths:  []string{"spec.template.other", "spec.template.spec.x", "spec.template.metadata.junk"},
	}, {
		name:   "non-nullable nulls without default are dropped, unreported",
		schema: specSchema,
		obj:    `{"spec":{"nullme":null,"nullok":null}}`,
		want:   `{"spec":{"nullok":null}}`,
	}, {
		name:   "object where schema has none: all keys reported",
		schema: `{"type":"object","properties":{"s":{"type":"string"}}}`,
		obj:    `{"s":{"a":1,"b":[1]}}`,
		want:   `{"s":{}}`,
		paths:  []string{"s.a", "s.b"},
	}, {
		name:   "nested apiVersion is pruned outside embedded resources",
		schema: `{"type":"object","properties":{"spec":{"type":"object"}}}`,
		obj:    `{"apiVersion":"a/v1","spec":{"apiVersion":"x","kind":"y"}}`,
		want:   `{"apiVersion":"a/v1","spec":{}}`,
		paths:  []string{"spec.apiVersion", "spec.kind"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := mustObj(t, tt.obj)
			paths := mustSchema(t, tt.schema).Prune(obj)
			jsonEqual(t, obj, tt.want)
			if !reflect.DeepEqual(paths, tt.paths) {
				t.Errorf("paths = %q, want %q", paths, tt.paths)
			}
		})
	}
}

func TestPruneNilSchemaKeepsEverything(t *testing.T) {
	s, _ := New(nil)
	obj := map[string]any{"spec": map[string]any{"x": int64(1)}}
	if paths := s.Prune(obj); len(paths) != 0 {
		t.Errorf("paths = %v", paths)
	}
	jsonEqual(t, obj, `{"spec":{"x":1}}`)
	if errs := s.Validate(obj); len(errs) != 0 {
		t.Errorf("Validate: %v", errs)
	}
}

func TestDefault(t *testing.T) {
	schema := `{"type":"object","properties":{"spec":{"type":"object","default":{},"properties":{
	  "replicas":{"type":"integer","default":1},
	  "mode":{"type":"string","default":"fast"},
	  "opt":{"type":"string","nullable":true,"default":"d"},
	  "obj":{"type":"object","default":{"a":"x","junk":1},"properties":{"a":{"type":"string"},"b":{"type":"string","default":"bb"}}},
	  "list":{"type":"array","items":{"type":"object","properties":{"p":{"type":"integer","default":80}}}},
	  "ints":{"type":"array","items":{"type":"integer","default":7}},
	  "map":{"type":"object","additionalProperties":{"type":"object","properties":{"on":{"type":"boolean","default":true}}}}
	}}}}`
	tests := []struct{ name, obj, want string }{
		{"absent spec gets its default and the defaults inside it", `{}`,
			`{"spec":{"replicas":1,"mode":"fast","opt":"d","obj":{"a":"x","b":"bb"}}}`},
		{"present values win; null of non-nullable is defaulted; nullable null stays",
			`{"spec":{"replicas":3,"mode":null,"opt":null}}`,
			`{"spec":{"replicas":3,"mode":"fast","opt":null,"obj":{"a":"x","b":"bb"}}}`},
		{"items, additionalProperties and null items",
			`{"spec":{"list":[{},{"p":1}],"ints":[1,null],"map":{"k":{}}}}`,
			`{"spec":{"replicas":1,"mode":"fast","opt":"d","obj":{"a":"x","b":"bb"},"list":[{"p":80},{"p":1}],"ints":[1,7],"map":{"k":{"on":true}}}}`},
	}
	s := mustSchema(t, schema)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := mustObj(t, tt.obj)
			s.Default(obj)
			jsonEqual(t, obj, tt.want)
		})
	}
	// Defaults are copies: changing one object does not change the next.
	a := mustObj(t, `{}`)
	s.Default(a)
	a["spec"].(map[string]any)["obj"].(map[string]any)["a"] = "changed"
	b := mustObj(t, `{}`)
	s.Default(b)
	if got := b["spec"].(map[string]any)["obj"].(map[string]any)["a"]; got != "x" {
		t.Errorf("default was shared: %v", got)
	}
}

func TestNewErrors(t *testing.T) {
	for _, js := range []string{
		`{"type":"string","pattern":"("}`,
		`{"type":"object","properties":{"a":{"type":"string","pattern":"[z-a]"}}}`,
	} {
		if _, err := New(mustProps(t, js)); err == nil {
			t.Errorf("New(%s) = nil error", js)
		}
	}
}

func TestPrunePathsMakeUnknownFieldMessages(t *testing.T) {
	// "unknown field" messages are built from these paths by the caller.
	obj := mustObj(t, `{"spec":{"list":[{"x":1}]}}`)
	paths := mustSchema(t, specSchema).Prune(obj)
	if got := `unknown field "` + strings.Join(paths, "") + `"`; got != `unknown field "spec.list[0].x"` {
		t.Errorf("got %s", got)
	}
}
