package admissionpolicy

import (
	"encoding/json"
	"fmt"

	"github.com/google/cel-go/common/types/ref"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	"github.com/tinykube/tinykube/pkg/cel"
)

// applyConfiguration merges an ApplyConfiguration's partial object into
// cur the way server-side apply merges an applied configuration: maps
// field by field, lists of named items (containers, env, ports…) item by
// item on their name, other lists and scalars replaced. Upstream merges
// with the type's schema (listType, listMapKeys); lacking schemas for the
// merge, tinykube keys lists on "name", which is what the built-in types'
// map lists mostly use. A null field removes it.
func applyConfiguration(cur, patch map[string]any) (map[string]any, error) {
	return mergeMaps(cur, patch), nil
}

func mergeMaps(dst, patch map[string]any) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for k, pv := range patch {
		if pv == nil {
			delete(dst, k)
			continue
		}
		switch p := pv.(type) {
		case map[string]any:
			if d, ok := dst[k].(map[string]any); ok {
				dst[k] = mergeMaps(d, p)
				continue
			}
		case []any:
			if d, ok := dst[k].([]any); ok {
				if merged, ok := mergeNamed(d, p); ok {
					dst[k] = merged
					continue
				}
			}
		}
		dst[k] = pv
	}
	return dst
}

// mergeNamed merges two lists of maps keyed by "name"; ok is false if
// either list has an item without a string name.
func mergeNamed(dst, patch []any) ([]any, bool) {
	name := func(v any) (string, bool) {
		m, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		n, ok := m["name"].(string)
		return n, ok
	}
	index := map[string]int{}
	for i, d := range dst {
		n, ok := name(d)
		if !ok {
			return nil, false
		}
		index[n] = i
	}
	for _, p := range patch {
		if _, ok := name(p); !ok {
			return nil, false
		}
	}
	out := append([]any(nil), dst...)
	for _, p := range patch {
		n, _ := name(p)
		if i, ok := index[n]; ok {
			out[i] = mergeMaps(out[i].(map[string]any), p.(map[string]any))
		} else {
			out = append(out, p)
		}
	}
	return out, true
}

// applyJSONPatch applies a JSONPatch mutation's result (a list of
// JSONPatch values) to cur (RFC 6902).
func applyJSONPatch(cur map[string]any, out ref.Val) (map[string]any, error) {
	ops, err := cel.ToJSONPatch(out)
	if err != nil {
		return nil, err
	}
	patch := make([]map[string]any, 0, len(ops))
	for _, op := range ops {
		o := map[string]any{"op": op.Op, "path": op.Path}
		if op.From != "" {
			o["from"] = op.From
		}
		if op.HasValue {
			o["value"] = op.Value
		}
		patch = append(patch, o)
	}
	raw, err := json.Marshal(patch)
	if err != nil {
		return nil, err
	}
	p, err := jsonpatch.DecodePatch(raw)
	if err != nil {
		return nil, fmt.Errorf("JSON Patch: %w", err)
	}
	doc, err := json.Marshal(cur)
	if err != nil {
		return nil, err
	}
	patched, err := p.Apply(doc)
	if err != nil {
		return nil, fmt.Errorf("JSON Patch: %w", err)
	}
	var next map[string]any
	if err := utiljson.Unmarshal(patched, &next); err != nil {
		return nil, err
	}
	return next, nil
}
