package schema

import (
	"sort"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
)

// metaFields are kept at the root and in embedded resources whatever the
// schema says.
var metaFields = map[string]bool{"apiVersion": true, "kind": true, "metadata": true}

// Prune removes from obj, in place, every field the schema does not
// declare, as upstream does when it decodes a custom resource:
//
//  1. metadata at the root is reduced to ObjectMeta's fields;
//  2. every other undeclared field is dropped (apiVersion, kind and
//     metadata stay at the root and in x-kubernetes-embedded-resource
//     objects; below x-kubernetes-preserve-unknown-fields only declared
//     fields are pruned further);
//  3. null values of non-nullable fields without a default are dropped;
//  4. metadata of embedded resources is reduced to ObjectMeta's fields.
//
// It returns the paths of the dropped fields in upstream's format —
// dot-separated keys, [i] for list indices ("spec.foo",
// "spec.list[0].bar", "metadata.bogus") — for the caller to report as
// `unknown field "<path>"` (fieldValidation Strict or Warn). Like upstream
// they come in three groups, each sorted: root metadata, then the schema
// pruning, then embedded metadata. Null removal (3) is not reported.
//
// Malformed metadata (say labels: 5) is left alone: upstream rejects it
// while decoding, which is the caller's job for the root object.
func (s *Schema) Prune(obj map[string]any) []string {
	paths := pruneMeta(obj, "metadata")
	root := s.root
	if root == nil {
		return paths // no schema: keep everything
	}
	// The root is always treated as an embedded resource.
	rootCopy := *root
	rootCopy.embedded = true
	var p pruner
	p.prune(obj, &rootCopy, nil)
	sort.Strings(p.paths)
	paths = append(paths, p.paths...)
	pruneNulls(obj, root)

	var embedded []string
	coerceEmbedded(obj, root, nil, &embedded)
	sort.Strings(embedded)
	return append(paths, embedded...)
}

type pruner struct{ paths []string }

func joinPath(parent []string, key string) []string {
	if len(parent) > 0 {
		parent = append(parent[:len(parent):len(parent)], ".")
	}
	return append(parent[:len(parent):len(parent)], key)
}

func indexPath(parent []string, i int) []string {
	return append(parent[:len(parent):len(parent)], "[", strconv.Itoa(i), "]")
}

func (p *pruner) record(parent []string, key string) {
	p.paths = append(p.paths, strings.Join(joinPath(parent, key), ""))
}

// prune follows upstream's pruning algorithm: s == nil means "nothing is
// declared here" (every key of an object is dropped).
func (p *pruner) prune(x any, s *node, path []string) {
	if s != nil && s.preserve {
		p.skip(x, s, path)
		return
	}
	switch x := x.(type) {
	case map[string]any:
		if s == nil {
			for k := range x {
				p.record(path, k)
				delete(x, k)
			}
			return
		}
		for k, v := range x {
			if s.embedded && metaFields[k] {
				continue
			}
			if c, ok := s.child(k); ok {
				p.prune(v, c, joinPath(path, k))
				continue
			}
			if !metaFields[k] || len(path) > 0 {
				p.record(path, k)
			}
			delete(x, k)
		}
	case []any:
		var items *node
		if s != nil {
			items = s.items
		}
		for i, v := range x {
			p.prune(v, items, indexPath(path, i))
		}
	}
}

// skip walks a preserve-unknown-fields level: unknown fields stay, declared
// ones are pruned by their own schema.
func (p *pruner) skip(x any, s *node, path []string) {
	if s == nil {
		return
	}
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			if s.embedded && metaFields[k] {
				continue
			}
			if c, ok := s.child(k); ok {
				p.prune(v, c, joinPath(path, k))
			}
		}
	case []any:
		for i, v := range x {
			p.skip(v, s.items, indexPath(path, i))
		}
	}
}

// pruneNulls drops null values of fields that are neither nullable nor
// defaulted (upstream's PruneNonNullableNullsWithoutDefaults).
func pruneNulls(x any, s *node) {
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			var c *node
			if s != nil {
				c, _ = s.child(k)
			}
			if v == nil && c != nil && !c.nullable && !c.hasDef {
				delete(x, k)
				continue
			}
			pruneNulls(v, c)
		}
	case []any:
		var items *node
		if s != nil {
			items = s.items
		}
		for _, v := range x {
			pruneNulls(v, items)
		}
	}
}

// coerceEmbedded reduces the metadata of embedded resources below the root
// to ObjectMeta (upstream's objectmeta.Coerce).
func coerceEmbedded(x any, s *node, fld *field.Path, paths *[]string) {
	if s == nil {
		return
	}
	switch x := x.(type) {
	case map[string]any:
		if s.embedded && fld != nil {
			if _, ok := x["metadata"]; ok {
				*paths = append(*paths, pruneMeta(x, fld.Child("metadata").String())...)
			}
		}
		for k, v := range x {
			if c, ok := s.properties[k]; ok {
				coerceEmbedded(v, c, fld.Child(k), paths)
			} else if s.additional != nil {
				coerceEmbedded(v, s.additional, fld.Key(k), paths)
			}
		}
	case []any:
		for i, v := range x {
			coerceEmbedded(v, s.items, fld.Index(i), paths)
		}
	}
}

// pruneMeta replaces obj["metadata"] by its ObjectMeta round trip (as
// upstream's Get/SetObjectMeta do; a zero creationTimestamp is omitted) and
// returns the dropped fields as prefix.<field>.
func pruneMeta(obj map[string]any, prefix string) []string {
	m, ok := obj["metadata"]
	if !ok {
		return nil
	}
	raw, err := utiljson.Marshal(m)
	if err != nil {
		return nil
	}
	var meta metav1.ObjectMeta
	strict, err := kjson.UnmarshalStrict(raw, &meta)
	if err != nil {
		return nil // malformed: see Prune
	}
	out, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&meta)
	if err != nil {
		return nil
	}
	obj["metadata"] = out
	var paths []string
	for _, e := range strict {
		if fe, ok := e.(kjson.FieldError); ok {
			paths = append(paths, prefix+"."+fe.FieldPath())
		}
	}
	return paths
}
