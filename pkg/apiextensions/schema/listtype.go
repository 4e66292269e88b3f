package schema

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateLists checks x-kubernetes-list-type set and map lists for
// duplicates, as upstream's listtype.ValidateListSetsAndMaps: every
// repeated element (set) or key (map) after its first occurrence is a
// field.Duplicate, once per distinct value.
func validateLists(fld *field.Path, s *node, obj map[string]any) field.ErrorList {
	if s == nil || obj == nil {
		return nil
	}
	keys := slices.Sorted(maps.Keys(obj)) // a stable order; upstream's is random
	var errs field.ErrorList
	if s.additional != nil {
		for _, k := range keys {
			errs = append(errs, validateListsValue(fld.Key(k), s.additional, obj[k])...)
		}
	}
	for _, k := range keys {
		if c, ok := s.properties[k]; ok {
			errs = append(errs, validateListsValue(fld.Child(k), c, obj[k])...)
		}
	}
	return errs
}

func validateListsValue(fld *field.Path, s *node, x any) field.ErrorList {
	if s == nil {
		return nil
	}
	switch x := x.(type) {
	case map[string]any:
		return validateLists(fld, s, x)
	case []any:
		var errs field.ErrorList
		switch s.listType {
		case "set":
			for _, i := range duplicates(x) {
				errs = append(errs, field.Duplicate(fld.Index(i), x[i]))
			}
		case "map":
			errs = append(errs, validateListMap(fld, s, x)...)
		}
		for i := range x {
			errs = append(errs, validateListsValue(fld.Index(i), s.items, x[i])...)
		}
		return errs
	}
	return nil
}

// duplicates returns the index of the second occurrence of every value
// that occurs more than once. Scalars compare by Go value (so int64 1 and
// float64 1 differ, as upstream), objects and lists by their JSON.
func duplicates(list []any) []int {
	seen := map[any]int{}
	var dups []int
	for i, x := range list {
		var key any = x
		if t := reflect.TypeOf(x); t != nil && !t.Comparable() {
			b, err := json.Marshal(x)
			if err != nil {
				continue
			}
			key = struct{ json string }{string(b)}
		}
		seen[key]++
		if seen[key] == 2 {
			dups = append(dups, i)
		}
	}
	return dups
}

func validateListMap(fld *field.Path, s *node, list []any) field.ErrorList {
	for i, x := range list {
		if _, ok := x.(map[string]any); x != nil && !ok {
			return field.ErrorList{field.Invalid(fld.Index(i), x, "must be an object for an array of list-type map")}
		}
	}
	keys := make([]any, len(list))
	for i, x := range list {
		m, _ := x.(map[string]any)
		key := map[string]any{}
		for _, k := range s.listMapKeys {
			if v, ok := m[k]; ok {
				key[k] = v
			}
		}
		keys[i] = key
	}
	var errs field.ErrorList
	for _, i := range duplicates(keys) {
		errs = append(errs, field.Duplicate(fld.Index(i), keys[i]))
	}
	return errs
}
