package schema

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name, schema, obj string
		want              []string // err.Error() of each error, in order
	}{{
		name:   "types, with integers from int64 and integral floats",
		schema: `{"type":"object","properties":{"i":{"type":"integer"},"n":{"type":"number"},"s":{"type":"string"},"b":{"type":"boolean"},"o":{"type":"object"},"a":{"type":"array","items":{"type":"string"}}}}`,
		obj:    `{"i":2.0,"n":3,"s":"x","b":true,"o":{},"a":["x"]}`,
	}, {
		name:   "type errors",
		schema: `{"type":"object","properties":{"i":{"type":"integer"},"s":{"type":"string"},"a":{"type":"array","items":{"type":"string"}}}}`,
		obj:    `{"i":1.5,"s":1,"a":[true]}`,
		want: []string{
			`a[0]: Invalid value: "boolean": a[0] in body must be of type string: "boolean"`,
			`i: Invalid value: "number": i in body must be of type integer: "number"`,
			`<nil>: Invalid value: "": Checked value must be of type integer (default format) in i`,
			`s: Invalid value: "integer": s in body must be of type string: "integer"`,
		},
	}, {
		name:   "null and nullable",
		schema: `{"type":"object","properties":{"a":{"type":"object"},"b":{"type":"string","nullable":true}}}`,
		obj:    `{"a":null,"b":null}`,
		want:   []string{`a: Invalid value: "null": a in body must be of type object: "null"`},
	}, {
		name:   "required",
		schema: `{"type":"object","required":["spec"],"properties":{"spec":{"type":"object","required":["x","y"],"properties":{"x":{"type":"string"},"y":{"type":"string"}}}}}`,
		obj:    `{"spec":{"y":"1"}}`,
		want:   []string{`spec.x: Required value`},
	}, {
		name:   "required at the root",
		schema: `{"type":"object","required":["spec"],"properties":{"spec":{"type":"object"}}}`,
		obj:    `{}`,
		want:   []string{`spec: Required value`},
	}, {
		name:   "enum",
		schema: `{"type":"object","properties":{"e":{"type":"string","enum":["a","b"]},"n":{"type":"integer","enum":[1,2]}}}`,
		obj:    `{"e":"c","n":3}`,
		want: []string{
			`e: Unsupported value: "c": supported values: "a", "b"`,
			`n: Unsupported value: 3: supported values: "1", "2"`,
		},
	}, {
		name:   "numeric bounds",
		schema: `{"type":"object","properties":{"a":{"type":"integer","minimum":1,"maximum":10},"b":{"type":"number","maximum":10,"exclusiveMaximum":true},"c":{"type":"integer","multipleOf":3},"d":{"type":"number","minimum":0,"exclusiveMinimum":true}}}`,
		obj:    `{"a":11,"b":10,"c":4,"d":0}`,
		want: []string{
			`a: Invalid value: 11: a in body should be less than or equal to 10`,
			`b: Invalid value: 10: b in body should be less than 10`,
			`c: Invalid value: 4: c in body should be a multiple of 3`,
			`d: Invalid value: 0: d in body should be greater than 0`,
		},
	}, {
		name:   "int32 range",
		schema: `{"type":"object","properties":{"a":{"type":"integer","format":"int32"}}}`,
		obj:    `{"a":3000000000}`,
		want:   []string{`<nil>: Invalid value: "": Checked value must be of type integer with format int32 in a`},
	}, {
		name:   "integer bounds that are not integers",
		schema: `{"type":"object","properties":{"a":{"type":"integer","multipleOf":2.5},"b":{"type":"number","maximum":2.5}}}`,
		obj:    `{"a":7,"b":3}`,
		want: []string{
			`<nil>: Invalid value: "": MultipleOf value must be of type integer (default format) in a`,
			`a: Invalid value: 7: a in body should be a multiple of 2.5`,
			`b: Invalid value: 3: b in body should be less than or equal to 2`,
		},
	}, {
		name:   "string length and pattern",
		schema: `{"type":"object","properties":{"a":{"type":"string","maxLength":2},"b":{"type":"string","minLength":2},"c":{"type":"string","pattern":"^[a-z]+$"}}}`,
		obj:    `{"a":"xyz","b":"x","c":"A1"}`,
		want: []string{
			`a: Too long: may not be more than 2 bytes`,
			`b: Invalid value: "x": b in body should be at least 2 chars long`,
			`c: Invalid value: "A1": c in body should match '^[a-z]+$'`,
		},
	}, {
		name:   "formats",
		schema: `{"type":"object","properties":{"d":{"type":"string","format":"date"},"t":{"type":"string","format":"date-time"},"u":{"type":"string","format":"uuid"},"e":{"type":"string","format":"email"},"h":{"type":"string","format":"hostname"},"y":{"type":"string","format":"byte"},"x":{"type":"string","format":"no-such-format"}}}`,
		obj:    `{"d":"2024-13-01","t":"yesterday","u":"nope","e":"@","h":"-bad-","y":"!!","x":"anything"}`,
		want: []string{
			`d: Invalid value: "2024-13-01": d in body must be of type date: "2024-13-01"`,
			`e: Invalid value: "@": e in body must be of type email: "@"`,
			`h: Invalid value: "-bad-": h in body must be of type hostname: "-bad-"`,
			`t: Invalid value: "yesterday": t in body must be of type date-time: "yesterday"`,
			`u: Invalid value: "nope": u in body must be of type uuid: "nope"`,
			`y: Invalid value: "!!": y in body must be of type byte: "!!"`,
		},
	}, {
		name:   "valid formats",
		schema: `{"type":"object","properties":{"d":{"type":"string","format":"date"},"t":{"type":"string","format":"date-time"},"u":{"type":"string","format":"uuid"},"y":{"type":"string","format":"byte"}}}`,
		obj:    `{"d":"2024-12-01","t":"2024-12-01T10:00:00Z","u":"0f8fad5b-d9cb-469f-a165-70867728950e","y":"aGk="}`,
	}, {
		name:   "items and properties counts",
		schema: `{"type":"object","properties":{"a":{"type":"array","items":{"type":"string"},"minItems":2},"b":{"type":"array","items":{"type":"string"},"maxItems":1},"m":{"type":"object","maxProperties":1,"additionalProperties":{"type":"string"}},"n":{"type":"object","minProperties":1}}}`,
		obj:    `{"a":["x"],"b":["x","y"],"m":{"k":"1","l":"2"},"n":{}}`,
		want: []string{
			`a: Invalid value: 1: a in body should have at least 2 items`,
			`b: Too many: 2: must have at most 1 item`,
			`m: Too many: 2: must have at most 1 item`,
			`n: Invalid value: 0: n in body should have at least 1 properties`,
		},
	}, {
		name:   "int-or-string",
		schema: `{"type":"object","properties":{"p":{"x-kubernetes-int-or-string":true},"q":{"x-kubernetes-int-or-string":true},"r":{"x-kubernetes-int-or-string":true}}}`,
		obj:    `{"p":80,"q":"http","r":true}`,
		want:   []string{`r: Invalid value: "boolean": r in body must be of type integer,string: "boolean"`},
	}, {
		name:   "additionalProperties values",
		schema: `{"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"integer"}}}}`,
		obj:    `{"m":{"a":1,"b":"x"}}`,
		want:   []string{`m.b: Invalid value: "string": m.b in body must be of type integer: "string"`},
	}, {
		name: "anyOf, oneOf, allOf, not",
		schema: `{"type":"object","properties":{
		  "any":{"type":"integer","anyOf":[{"minimum":10},{"maximum":0}]},
		  "one":{"type":"integer","oneOf":[{"minimum":0},{"maximum":10}]},
		  "all":{"type":"integer","allOf":[{"minimum":0},{"maximum":10}]},
		  "not":{"type":"string","not":{"enum":["x"]}}}}`,
		obj: `{"any":5,"one":5,"all":11,"not":"x"}`,
		want: []string{
			`all: Invalid value: 11: all in body should be less than or equal to 10`,
			`<nil>: Invalid value: "": "all" must validate all the schemas (allOf)`,
			`<nil>: Invalid value: "": "any" must validate at least one schema (anyOf)`,
			`any: Invalid value: 5: any in body should be greater than or equal to 10`,
			`<nil>: Invalid value: "": "not" must not validate the schema (not)`,
			`<nil>: Invalid value: "": "one" must validate one and only one schema (oneOf). Found 2 valid alternatives`,
		},
	}, {
		name:   "embedded resources need apiVersion, kind and valid metadata",
		schema: `{"type":"object","properties":{"t":{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}}}`,
		obj:    `{"t":{"kind":"a_b","metadata":{"generateName":"x%"}}}`,
		want: []string{
			`t.apiVersion: Required value`,
			`t.kind: Invalid value: "a_b": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
			`t.metadata.generateName: Invalid value: "x%": may not contain '%'`,
		},
	}, {
		name: "list-type set and map",
		schema: `{"type":"object","properties":{
		  "set":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
		  "map":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],"items":{"type":"object","properties":{"name":{"type":"string"},"v":{"type":"integer"}}}}}}`,
		obj: `{"set":["a","b","a","a"],"map":[{"name":"x","v":1},{"name":"x","v":2},{"name":"y"}]}`,
		want: []string{
			`map[1]: Duplicate value: {"name":"x"}`,
			`set[2]: Duplicate value: "a"`,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := mustSchema(t, tt.schema).Validate(mustObj(t, tt.obj))
			assertErrors(t, errs, tt.want)
		})
	}
}

func assertErrors(t *testing.T, errs field.ErrorList, want []string) {
	t.Helper()
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	if len(got) != len(want) {
		t.Fatalf("got %d errors:\n%s\nwant %d:\n%s", len(got), join(got), len(want), join(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("error %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

func join(l []string) string {
	s := ""
	for _, x := range l {
		s += "  " + x + "\n"
	}
	return s
}
