package schema

import (
	"testing"

	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// fuzzSchema exercises every keyword the package implements.
const fuzzSchema = `{"type":"object","properties":{
  "spec":{"type":"object","default":{},"properties":{
    "replicas":{"type":"integer","format":"int32","minimum":0,"maximum":100,"multipleOf":2,"default":2},
    "ratio":{"type":"number","exclusiveMinimum":true,"minimum":0},
    "name":{"type":"string","minLength":1,"maxLength":5,"pattern":"^[a-z]*$","enum":["a","ab","abc"]},
    "when":{"type":"string","format":"date-time","nullable":true},
    "port":{"x-kubernetes-int-or-string":true},
    "set":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"},"maxItems":4},
    "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name","proto"],
      "items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"proto":{"type":"string","default":"TCP"}}}},
    "labels":{"type":"object","maxProperties":3,"additionalProperties":{"type":"string","default":"x"}},
    "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"k":{"type":"object","properties":{"a":{"type":"string"}}}}},
    "tmpl":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"spec":{"type":"object","properties":{"x":{"type":"integer"}}}}},
    "choice":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"oneOf":[{"required":["a"]},{"required":["b"]}],"not":{"required":["a","b"]},"anyOf":[{"minProperties":1}],"allOf":[{"maxProperties":2}]}
  }}}}`

func fuzzSeeds(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"spec":null}`, `{"apiVersion":"a/v1","kind":"K","metadata":{"name":"x","labels":{"a":"b"},"bogus":1}}`,
		`{"spec":{"replicas":3.5,"ratio":0,"name":"ABCDEF","when":null,"port":true,"set":["a","a"],"ports":[{"name":"a"},{"name":"a"},5]}}`,
		`{"spec":{"labels":{"a":null,"b":1},"free":{"k":{"a":1,"b":2},"z":[1,{}]},"tmpl":{"apiVersion":1,"metadata":{"name":5},"spec":{"x":"y","y":1}}}}`,
		`{"spec":{"choice":{"a":"x","b":"y","c":1}},"extra":[[[]]]}`,
		`{"spec":{"replicas":1e300,"ratio":-1e-300,"ports":[null,{}],"set":[{"a":1},{"a":1},[1],[1]]}}`,
	} {
		f.Add([]byte(s))
	}
}

func decodeFuzz(data []byte) (map[string]any, bool) {
	var obj map[string]any
	if err := utiljson.Unmarshal(data, &obj); err != nil || obj == nil {
		return nil, false
	}
	return obj, true
}

func FuzzPrune(f *testing.F) {
	fuzzSeeds(f)
	s := mustSchema(f, fuzzSchema)
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, ok := decodeFuzz(data)
		if !ok {
			return
		}
		s.Prune(obj)
		// Pruning is idempotent: a second pass finds nothing.
		if again := s.Prune(obj); len(again) != 0 {
			t.Errorf("second Prune reported %v", again)
		}
		s.Default(obj)
	})
}

func FuzzValidate(f *testing.F) {
	fuzzSeeds(f)
	s := mustSchema(f, fuzzSchema)
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, ok := decodeFuzz(data)
		if !ok {
			return
		}
		s.Validate(obj)
		s.Prune(obj)
		s.Default(obj)
		s.Validate(obj)
	})
}
