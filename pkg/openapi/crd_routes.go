package openapi

import (
	"net/http"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/kube-openapi/pkg/common"
)

// What custom resource endpoints read and write: JSON and YAML only (no
// protobuf, no watch stream types; watching is list with ?watch=true), and
// no strategic merge patch.
var (
	crdMediaTypes      = []string{"application/json", "application/yaml"}
	crdPatchMediaTypes = []string{"application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"}

	crdGetParams    = query(metav1.GetOptions{}.SwaggerDoc(), "string", "resourceVersion")
	crdUpdateParams = query(metav1.UpdateOptions{}.SwaggerDoc(), "string", "dryRun", "fieldManager", "fieldValidation")
)

// customResourceRoutes lays out the operations of one custom resource
// version as upstream's apiextensions-apiserver describes them: list (also
// across namespaces), create, deletecollection, read, replace, patch and
// delete, plus status and scale when those subresources are enabled. Every
// operation carries the custom kind's x-kubernetes-group-version-kind (the
// scale operations too, unlike built-in ones).
func customResourceRoutes(cr *customResource) []common.Route {
	gv := cr.GVK.GroupVersion()
	gvName := gvCamel(gv)
	kind := cr.GVK.Kind
	obj, list := crdModel(cr.modelName()), crdModel(cr.listModelName())
	status, patch := &metav1.Status{}, &metav1.Patch{}

	var routes []common.Route
	add := func(r *route, action string) {
		r.tag = gvTag(gv)
		r.meta = map[string]interface{}{extAction: action, extGVK: gvkExtension(cr.GVK)}
		r.produces = crdMediaTypes
		if r.consumes == nil {
			r.consumes = crdMediaTypes
		}
		r.params = append(r.params, prettyParam)
		routes = append(routes, r)
	}

	root := gvPath(gv) + "/" + cr.Plural
	nsName := ""
	var scope []param
	if cr.Namespaced {
		add(&route{method: "GET", path: root, opID: "list" + gvName + kind + "ForAllNamespaces",
			desc: "list objects of kind " + kind, params: concat(listParams),
			responses: responses(list, http.StatusOK)}, "list")
		root = gvPath(gv) + "/namespaces/{namespace}/" + cr.Plural
		nsName = "Namespaced"
		scope = []param{pathParam("namespace", "object name and auth scope, such as for teams and projects")}
	}
	item := root + "/{name}"
	itemScope := concat(scope, []param{pathParam("name", "name of the "+kind)})

	add(&route{method: "GET", path: root, opID: "list" + gvName + nsName + kind,
		desc: "list objects of kind " + kind, params: concat(scope, listParams),
		responses: responses(list, http.StatusOK)}, "list")
	add(&route{method: "POST", path: root, opID: "create" + gvName + nsName + kind,
		desc: "create " + article(kind) + kind, params: concat(scope, []param{bodyParam(true)}, writeParams), body: obj,
		responses: responses(obj, http.StatusOK, http.StatusCreated, http.StatusAccepted)}, "post")
	add(&route{method: "DELETE", path: root, opID: "delete" + gvName + "Collection" + nsName + kind,
		desc: "delete collection of " + kind, params: concat(scope, listParams),
		responses: responses(status, http.StatusOK)}, "deletecollection")

	add(&route{method: "GET", path: item, opID: "read" + gvName + nsName + kind,
		desc: "read the specified " + kind, params: concat(itemScope, crdGetParams),
		responses: responses(obj, http.StatusOK)}, "get")
	add(&route{method: "PUT", path: item, opID: "replace" + gvName + nsName + kind,
		desc: "replace the specified " + kind, params: concat(itemScope, []param{bodyParam(true)}, crdUpdateParams), body: obj,
		responses: responses(obj, http.StatusOK, http.StatusCreated)}, "put")
	add(&route{method: "DELETE", path: item, opID: "delete" + gvName + nsName + kind,
		desc: "delete " + article(kind) + kind, params: concat(itemScope, []param{bodyParam(false)}, deleteParams), body: &metav1.DeleteOptions{},
		responses: responses(status, http.StatusOK, http.StatusAccepted)}, "delete")
	add(&route{method: "PATCH", path: item, opID: "patch" + gvName + nsName + kind,
		desc: "partially update the specified " + kind, consumes: crdPatchMediaTypes,
		params: concat(itemScope, []param{bodyParam(true)}, patchParams), body: patch,
		responses: responses(obj, http.StatusOK)}, "patch")

	subresource := func(name string, model interface{}) {
		path, suffix := item+"/"+name, upperFirst(name)
		add(&route{method: "GET", path: path, opID: "read" + gvName + nsName + kind + suffix,
			desc: "read " + name + " of the specified " + kind, params: concat(itemScope, crdGetParams),
			responses: responses(model, http.StatusOK)}, "get")
		add(&route{method: "PUT", path: path, opID: "replace" + gvName + nsName + kind + suffix,
			desc: "replace " + name + " of the specified " + kind, params: concat(itemScope, []param{bodyParam(true)}, crdUpdateParams), body: model,
			responses: responses(model, http.StatusOK, http.StatusCreated)}, "put")
		add(&route{method: "PATCH", path: path, opID: "patch" + gvName + nsName + kind + suffix,
			desc: "partially update " + name + " of the specified " + kind, consumes: crdPatchMediaTypes,
			params: concat(itemScope, []param{bodyParam(true)}, patchParams), body: patch,
			responses: responses(model, http.StatusOK)}, "patch")
	}
	if cr.Status {
		subresource("status", obj)
	}
	if cr.Scale {
		subresource("scale", &autoscalingv1.Scale{})
	}
	return routes
}
