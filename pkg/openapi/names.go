package openapi

import (
	"reflect"
	"sort"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/util"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

const (
	extGVK    = "x-kubernetes-group-version-kind"
	extAction = "x-kubernetes-action"
)

// gvCamel names a group version the way upstream operation IDs do:
// "" v1 → "CoreV1", rbac.authorization.k8s.io v1 → "RbacAuthorizationV1",
// stable.example.com v1 → "StableExampleComV1".
func gvCamel(gv schema.GroupVersion) string {
	return operationIDWord(groupWord(gv.Group), true) + operationIDWord(gv.Version, true)
}

// gvTag is the operation tag of a group version: "core_v1", "apps_v1",
// "rbacAuthorization_v1".
func gvTag(gv schema.GroupVersion) string {
	return operationIDWord(groupWord(gv.Group), false) + "_" + operationIDWord(gv.Version, false)
}

// groupWord is the group as operation IDs spell it: without the ".k8s.io"
// suffix; the legacy group is "core".
func groupWord(group string) string {
	if group == "" {
		return "core"
	}
	return strings.TrimSuffix(group, ".k8s.io")
}

// operationIDWord keeps the letters, underscores and (not leading) digits
// of s and upper-cases the letter after anything it drops, as upstream's
// ToValidOperationID does: "rbac.authorization" → "rbacAuthorization",
// "my-group.example.com" → "myGroupExampleCom".
func operationIDWord(s string, capitalizeFirst bool) string {
	var b strings.Builder
	capitalize := capitalizeFirst
	for i, r := range s {
		if unicode.IsLetter(r) || r == '_' || (i != 0 && unicode.IsDigit(r)) {
			if capitalize {
				r = unicode.ToUpper(r)
				capitalize = false
			}
			b.WriteRune(r)
		} else {
			capitalize = true
		}
	}
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// gvkExtension is the value of x-kubernetes-group-version-kind for one kind.
// A map (rather than a struct) keeps the keys sorted as upstream prints them.
func gvkExtension(gvk schema.GroupVersionKind) map[string]interface{} {
	return map[string]interface{}{"group": gvk.Group, "version": gvk.Version, "kind": gvk.Kind}
}

// definitionNamer keeps definition names as openapi-gen produced them
// (upstream's io.k8s.api.… model names) and tags each schema of a kind
// registered in the scheme with all the group/version/kinds it is served
// as — meta types such as DeleteOptions or WatchEvent are registered in every
// group version, so they carry a list.
type definitionNamer struct {
	gvks map[string][]interface{}
}

func newDefinitionNamer(scheme *runtime.Scheme) *definitionNamer {
	byName := map[string][]schema.GroupVersionKind{}
	for gvk, t := range scheme.AllKnownTypes() {
		if gvk.Version == runtime.APIVersionInternal {
			continue
		}
		name := util.GetCanonicalTypeName(reflect.New(t).Interface())
		byName[name] = append(byName[name], gvk)
	}
	n := &definitionNamer{gvks: make(map[string][]interface{}, len(byName))}
	for name, gvks := range byName {
		sort.Slice(gvks, func(i, j int) bool {
			a, b := gvks[i], gvks[j]
			if a.Group != b.Group {
				return a.Group < b.Group
			}
			if a.Version != b.Version {
				return a.Version < b.Version
			}
			return a.Kind < b.Kind
		})
		list := make([]interface{}, len(gvks))
		for i, gvk := range gvks {
			list[i] = gvkExtension(gvk)
		}
		n.gvks[name] = list
	}
	return n
}

// name implements common.Config.GetDefinitionName.
func (n *definitionNamer) name(model string) (string, spec.Extensions) {
	if gvks, ok := n.gvks[model]; ok {
		return model, spec.Extensions{extGVK: gvks}
	}
	return model, nil
}
