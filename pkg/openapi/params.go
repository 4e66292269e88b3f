package openapi

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/kube-openapi/pkg/common"
)

// param implements common.Parameter.
type param struct {
	name, desc string
	kind       common.ParameterKind
	dataType   string // "string", "integer", "boolean"
	required   bool
}

var _ common.Parameter = param{}

func (p param) Name() string               { return p.name }
func (p param) Description() string        { return p.desc }
func (p param) Required() bool             { return p.required }
func (p param) Kind() common.ParameterKind { return p.kind }
func (p param) DataType() string           { return p.dataType }
func (p param) AllowMultiple() bool        { return false }

func pathParam(name, desc string) param {
	return param{name: name, desc: desc, kind: common.PathParameterKind, dataType: "string", required: true}
}

func bodyParam(required bool) param {
	return param{name: "body", kind: common.BodyParameterKind, dataType: "body", required: required}
}

// query builds query parameters whose descriptions are the field comments
// of the metav1 options struct that decodes them.
func query(doc map[string]string, dataType string, names ...string) []param {
	out := make([]param, len(names))
	for i, n := range names {
		out[i] = param{name: n, desc: doc[n], kind: common.QueryParameterKind, dataType: dataType}
	}
	return out
}

func concat(lists ...[]param) []param {
	var out []param
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// Query parameters per kind of operation. Only options the server decodes
// are advertised; alpha options (shardSelector,
// ignoreStoreReadErrorWithClusterBreakingPotential) are left out.
var (
	prettyParam = param{name: "pretty", kind: common.QueryParameterKind, dataType: "string",
		desc: "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."}

	listDoc   = metav1.ListOptions{}.SwaggerDoc()
	deleteDoc = metav1.DeleteOptions{}.SwaggerDoc()

	// listFilterParams select what list, watch and deletecollection see.
	listFilterParams = concat(
		query(listDoc, "string", "continue", "fieldSelector", "labelSelector", "resourceVersion", "resourceVersionMatch"),
		query(listDoc, "integer", "limit", "timeoutSeconds"),
		query(listDoc, "boolean", "sendInitialEvents"),
	)
	listParams = concat(listFilterParams, query(listDoc, "boolean", "allowWatchBookmarks", "watch"))

	writeParams = concat(
		query(metav1.CreateOptions{}.SwaggerDoc(), "string", "dryRun", "fieldManager", "fieldValidation"),
	)
	patchParams = concat(
		query(metav1.PatchOptions{}.SwaggerDoc(), "string", "dryRun", "fieldManager", "fieldValidation"),
		query(metav1.PatchOptions{}.SwaggerDoc(), "boolean", "force"),
	)
	deleteParams = concat(
		query(deleteDoc, "string", "dryRun", "propagationPolicy"),
		query(deleteDoc, "integer", "gracePeriodSeconds"),
		query(deleteDoc, "boolean", "orphanDependents"),
	)
)
