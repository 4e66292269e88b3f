package schema

import "k8s.io/apimachinery/pkg/runtime"

// Default sets, in place, the default of every absent field whose schema
// has one, as upstream's structural defaulting does: a property's default
// applies when the key is missing or is null while the property is not
// nullable; null items and additionalProperties values of a non-nullable
// schema get that schema's default. Defaulting recurses into the result,
// so defaults inside defaults apply too. Defaults were pruned by their
// schema when the Schema was compiled, as upstream prunes them when it
// builds a CRD's structural schema.
func (s *Schema) Default(obj map[string]any) {
	if s.root != nil {
		defaultValue(obj, s.root)
	}
}

func nonNullableNull(x any, s *node) bool {
	return x == nil && s != nil && !s.nullable
}

func defaultValue(x any, s *node) {
	if s == nil {
		return
	}
	switch x := x.(type) {
	case map[string]any:
		for k, p := range s.properties {
			if !p.hasDef {
				continue
			}
			if v, ok := x[k]; !ok || nonNullableNull(v, p) {
				x[k] = runtime.DeepCopyJSONValue(p.def)
			}
		}
		for k, v := range x {
			if p, ok := s.properties[k]; ok {
				defaultValue(v, p)
			} else if s.additional != nil {
				if nonNullableNull(v, s.additional) && s.additional.hasDef {
					x[k] = runtime.DeepCopyJSONValue(s.additional.def)
				}
				defaultValue(x[k], s.additional)
			}
		}
	case []any:
		for i := range x {
			if nonNullableNull(x[i], s.items) && s.items.hasDef {
				x[i] = runtime.DeepCopyJSONValue(s.items.def)
			}
			defaultValue(x[i], s.items)
		}
	}
}

// pruneDefaults prunes every default value by the schema at its place, so
// a default cannot smuggle in undeclared fields. (Upstream prunes each
// default inside a skeleton of the whole object; the result is the same
// except for the root's apiVersion/kind/metadata, which cannot have
// defaults.)
func (n *node) pruneDefaults() {
	if n == nil {
		return
	}
	if n.hasDef {
		var p pruner
		wrapper := map[string]any{"v": n.def}
		p.prune(wrapper, &node{properties: map[string]*node{"v": n}}, nil)
		coerceEmbedded(wrapper, &node{properties: map[string]*node{"v": n}}, nil, new([]string))
		n.def = wrapper["v"]
	}
	for _, c := range n.properties {
		c.pruneDefaults()
	}
	n.items.pruneDefaults()
	n.additional.pruneDefaults()
}
