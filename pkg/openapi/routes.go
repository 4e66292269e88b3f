package openapi

import (
	"fmt"
	"net/http"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/common"

	"github.com/tinykube/tinykube/pkg/api"
)

// Media types the server reads and writes (CBOR is not served).
var (
	mediaTypes      = []string{"application/json", "application/yaml", "application/vnd.kubernetes.protobuf"}
	watchMediaTypes = append(append([]string{}, mediaTypes...),
		"application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch")
	patchMediaTypes = []string{
		"application/json-patch+json", "application/merge-patch+json",
		"application/strategic-merge-patch+json", "application/apply-patch+yaml",
	}
	anyMediaType = []string{"*/*"}
)

// route implements common.Route for one operation.
type route struct {
	method, path string
	opID         string
	tag          string
	desc         string
	params       []param
	consumes     []string
	produces     []string
	meta         map[string]interface{}
	body         interface{} // request payload sample, nil without body
	responses    []response
}

var _ common.Route = (*route)(nil)

func (r *route) Method() string                    { return r.method }
func (r *route) Path() string                      { return r.path }
func (r *route) OperationName() string             { return r.opID }
func (r *route) Description() string               { return r.desc }
func (r *route) Consumes() []string                { return r.consumes }
func (r *route) Produces() []string                { return r.produces }
func (r *route) Metadata() map[string]interface{}  { return r.meta }
func (r *route) RequestPayloadSample() interface{} { return r.body }
func (r *route) ResponsePayloadSample() interface{} {
	if len(r.responses) == 0 {
		return nil
	}
	return r.responses[0].model
}
func (r *route) Parameters() []common.Parameter {
	out := make([]common.Parameter, len(r.params))
	for i, p := range r.params {
		out[i] = p
	}
	return out
}
func (r *route) StatusCodeResponses() []common.StatusCodeResponse {
	out := make([]common.StatusCodeResponse, len(r.responses))
	for i, resp := range r.responses {
		out[i] = resp
	}
	return out
}

// operationIDAndTags implements common.Config.GetOperationIDAndTagsFromRoute.
func operationIDAndTags(r common.Route) (string, []string, error) {
	rt, ok := r.(*route)
	if !ok {
		return "", nil, fmt.Errorf("openapi: unexpected route type %T", r)
	}
	return rt.opID, []string{rt.tag}, nil
}

type response struct {
	code  int
	msg   string
	model interface{}
}

var _ common.StatusCodeResponse = response{}

func (r response) Code() int          { return r.code }
func (r response) Message() string    { return r.msg }
func (r response) Model() interface{} { return r.model }

func responses(model interface{}, codes ...int) []response {
	out := make([]response, len(codes))
	for i, c := range codes {
		out[i] = response{code: c, msg: http.StatusText(c), model: model}
	}
	return out
}

// routeContainer implements common.RouteContainer: all routes of one group
// version.
type routeContainer struct {
	root   string
	routes []common.Route
}

var _ common.RouteContainer = (*routeContainer)(nil)

func (c *routeContainer) RootPath() string                   { return c.root }
func (c *routeContainer) PathParameters() []common.Parameter { return nil }
func (c *routeContainer) Routes() []common.Route             { return c.routes }

// gvPath is the URL prefix of a group version: /api/v1 or /apis/<group>/<version>.
func gvPath(gv schema.GroupVersion) string {
	if gv.Group == "" {
		return "/api/" + gv.Version
	}
	return "/apis/" + gv.Group + "/" + gv.Version
}

// routesFor builds the routes of one group version: its resource list
// endpoint plus, for every resource, the operations its verbs and
// subresources allow, laid out as upstream lays them out.
func routesFor(scheme *runtime.Scheme, gv schema.GroupVersion, resources []api.Resource) (*routeContainer, error) {
	b := &routeBuilder{scheme: scheme, gv: gv, prefix: gvPath(gv), gvName: gvCamel(gv), tag: gvTag(gv)}
	b.add(&route{
		method: "GET", path: b.prefix + "/", opID: "get" + b.gvName + "APIResources",
		desc: "get available resources", consumes: mediaTypes, produces: mediaTypes,
		responses: responses(&metav1.APIResourceList{}, http.StatusOK),
	})
	for _, r := range resources {
		if r.GroupVersion != gv {
			continue
		}
		if err := b.resource(r); err != nil {
			return nil, err
		}
	}
	return &routeContainer{root: b.prefix, routes: b.routes}, nil
}

type routeBuilder struct {
	scheme         *runtime.Scheme
	gv             schema.GroupVersion
	prefix, gvName string
	tag            string
	routes         []common.Route
}

func (b *routeBuilder) add(r *route) {
	r.tag = b.tag
	b.routes = append(b.routes, r)
}

// object returns an instance of the kind, used by the builders to find the
// definition (via its OpenAPIModelName method).
func (b *routeBuilder) object(gvk schema.GroupVersionKind) (runtime.Object, error) {
	obj, err := b.scheme.New(gvk)
	if err != nil {
		return nil, fmt.Errorf("openapi: %v has no Go type: %w", gvk, err)
	}
	return obj, nil
}

func (b *routeBuilder) resource(r api.Resource) error {
	gvk := r.GVK()
	obj, err := b.object(gvk)
	if err != nil {
		return err
	}
	has := map[string]bool{}
	for _, v := range r.Verbs {
		has[v] = true
	}

	var list runtime.Object
	if has["list"] || has["watch"] {
		if list, err = b.object(b.gv.WithKind(r.Kind + "List")); err != nil {
			return err
		}
	}

	// Paths and name fragments: "Namespaced" goes before the kind in
	// operation IDs of namespaced paths.
	nsPath, nsName := "", ""
	var scope []param
	if r.Namespaced {
		nsPath, nsName = "/namespaces/{namespace}", "Namespaced"
		scope = []param{pathParam("namespace", "object name and auth scope, such as for teams and projects")}
	}
	collection := b.prefix + nsPath + "/" + r.Name
	item := collection + "/{name}"
	nameParam := pathParam("name", "name of the "+r.Kind)
	itemScope := append(append([]param{}, scope...), nameParam)
	kind := r.Kind
	ext := func(action string, gvk schema.GroupVersionKind) map[string]interface{} {
		return map[string]interface{}{extAction: action, extGVK: gvkExtension(gvk)}
	}
	status := &metav1.Status{}
	deleted := interface{}(status)
	if r.ReturnsDeletedObject {
		deleted = obj
	}
	watchEvent := &metav1.WatchEvent{}

	if has["list"] {
		b.add(&route{method: "GET", path: collection, opID: "list" + b.gvName + nsName + kind,
			desc: "list or watch objects of kind " + kind, consumes: anyMediaType, produces: watchMediaTypes,
			params: concat(scope, listParams, []param{prettyParam}), meta: ext("list", gvk),
			responses: responses(list, http.StatusOK)})
		if r.Namespaced {
			b.add(&route{method: "GET", path: b.prefix + "/" + r.Name, opID: "list" + b.gvName + kind + "ForAllNamespaces",
				desc: "list or watch objects of kind " + kind, consumes: anyMediaType, produces: watchMediaTypes,
				params: concat(listParams, []param{prettyParam}), meta: ext("list", gvk),
				responses: responses(list, http.StatusOK)})
		}
	}
	if has["create"] {
		b.add(&route{method: "POST", path: collection, opID: "create" + b.gvName + nsName + kind,
			desc: "create " + article(kind) + kind, consumes: anyMediaType, produces: mediaTypes,
			params: concat(scope, []param{bodyParam(true), prettyParam}, writeParams), body: obj, meta: ext("post", gvk),
			responses: responses(obj, http.StatusOK, http.StatusCreated, http.StatusAccepted)})
	}
	if has["deletecollection"] {
		b.add(&route{method: "DELETE", path: collection, opID: "delete" + b.gvName + "Collection" + nsName + kind,
			desc: "delete collection of " + kind, consumes: anyMediaType, produces: mediaTypes,
			params: concat(scope, []param{bodyParam(false), prettyParam}, listFilterParams, deleteParams),
			body:   &metav1.DeleteOptions{}, meta: ext("deletecollection", gvk),
			responses: responses(status, http.StatusOK)})
	}
	if has["get"] {
		b.add(&route{method: "GET", path: item, opID: "read" + b.gvName + nsName + kind,
			desc: "read the specified " + kind, consumes: anyMediaType, produces: mediaTypes,
			params: concat(itemScope, []param{prettyParam}), meta: ext("get", gvk),
			responses: responses(obj, http.StatusOK)})
	}
	if has["update"] {
		b.add(&route{method: "PUT", path: item, opID: "replace" + b.gvName + nsName + kind,
			desc: "replace the specified " + kind, consumes: anyMediaType, produces: mediaTypes,
			params: concat(itemScope, []param{bodyParam(true), prettyParam}, writeParams), body: obj, meta: ext("put", gvk),
			responses: responses(obj, http.StatusOK, http.StatusCreated)})
	}
	if has["patch"] {
		b.add(&route{method: "PATCH", path: item, opID: "patch" + b.gvName + nsName + kind,
			desc: "partially update the specified " + kind, consumes: patchMediaTypes, produces: mediaTypes,
			params: concat(itemScope, []param{bodyParam(true), prettyParam}, patchParams), body: &metav1.Patch{}, meta: ext("patch", gvk),
			responses: responses(obj, http.StatusOK, http.StatusCreated)})
	}
	if has["delete"] {
		b.add(&route{method: "DELETE", path: item, opID: "delete" + b.gvName + nsName + kind,
			desc: "delete " + article(kind) + kind, consumes: anyMediaType, produces: mediaTypes,
			params: concat(itemScope, []param{bodyParam(false), prettyParam}, deleteParams), body: &metav1.DeleteOptions{}, meta: ext("delete", gvk),
			responses: responses(deleted, http.StatusOK, http.StatusAccepted)})
	}
	if has["watch"] {
		// The deprecated /watch/ paths, kept because clients generated from
		// the spec (and the conformance suite's path listing) expect them.
		watchParams := concat(listParams, []param{prettyParam})
		watchRoot := b.prefix + "/watch" + nsPath + "/" + r.Name
		b.add(&route{method: "GET", path: watchRoot + "/{name}", opID: "watch" + b.gvName + nsName + kind,
			desc:     "watch changes to an object of kind " + kind + ". deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.",
			consumes: anyMediaType, produces: watchMediaTypes, params: concat(itemScope, watchParams), meta: ext("watch", gvk),
			responses: responses(watchEvent, http.StatusOK)})
		b.add(&route{method: "GET", path: watchRoot, opID: "watch" + b.gvName + nsName + kind + "List",
			desc:     "watch individual changes to a list of " + kind + ". deprecated: use the 'watch' parameter with a list operation instead.",
			consumes: anyMediaType, produces: watchMediaTypes, params: concat(scope, watchParams), meta: ext("watchlist", gvk),
			responses: responses(watchEvent, http.StatusOK)})
		if r.Namespaced {
			b.add(&route{method: "GET", path: b.prefix + "/watch/" + r.Name, opID: "watch" + b.gvName + kind + "ListForAllNamespaces",
				desc:     "watch individual changes to a list of " + kind + ". deprecated: use the 'watch' parameter with a list operation instead.",
				consumes: anyMediaType, produces: watchMediaTypes, params: watchParams, meta: ext("watchlist", gvk),
				responses: responses(watchEvent, http.StatusOK)})
		}
	}

	for _, sub := range r.Subresources {
		if err := b.subresource(r, sub, item, itemScope, nsName); err != nil {
			return err
		}
	}
	return nil
}

// subresource adds the operations of /<resource>/{name}/<sub>. Operation IDs
// name the parent kind; the schemas and the GVK extension are the
// subresource's own kind (autoscaling/v1 Scale, policy/v1 Eviction…).
func (b *routeBuilder) subresource(r api.Resource, sub api.Subresource, item string, itemScope []param, nsName string) error {
	obj, err := b.object(sub.Kind)
	if err != nil {
		return err
	}
	path := item + "/" + sub.Name
	suffix := upperFirst(sub.Name)
	ext := map[string]interface{}{extGVK: gvkExtension(sub.Kind)}
	withAction := func(action string) map[string]interface{} {
		m := map[string]interface{}{extAction: action}
		for k, v := range ext {
			m[k] = v
		}
		return m
	}
	base := nsName + r.Kind + suffix
	for _, verb := range sub.Verbs {
		switch verb {
		case "get":
			b.add(&route{method: "GET", path: path, opID: "read" + b.gvName + base,
				desc: "read " + sub.Name + " of the specified " + r.Kind, consumes: anyMediaType, produces: mediaTypes,
				params: concat(itemScope, []param{prettyParam}), meta: withAction("get"),
				responses: responses(obj, http.StatusOK)})
		case "update":
			b.add(&route{method: "PUT", path: path, opID: "replace" + b.gvName + base,
				desc: "replace " + sub.Name + " of the specified " + r.Kind, consumes: anyMediaType, produces: mediaTypes,
				params: concat(itemScope, []param{bodyParam(true), prettyParam}, writeParams), body: obj, meta: withAction("put"),
				responses: responses(obj, http.StatusOK, http.StatusCreated)})
		case "patch":
			b.add(&route{method: "PATCH", path: path, opID: "patch" + b.gvName + base,
				desc: "partially update " + sub.Name + " of the specified " + r.Kind, consumes: patchMediaTypes, produces: mediaTypes,
				params: concat(itemScope, []param{bodyParam(true), prettyParam}, patchParams), body: &metav1.Patch{}, meta: withAction("patch"),
				responses: responses(obj, http.StatusOK, http.StatusCreated)})
		case "create":
			b.add(&route{method: "POST", path: path, opID: "create" + b.gvName + base,
				desc: "create " + sub.Name + " of " + article(r.Kind) + r.Kind, consumes: anyMediaType, produces: mediaTypes,
				params: concat(itemScope, []param{bodyParam(true), prettyParam}, writeParams), body: obj, meta: withAction("post"),
				responses: responses(obj, http.StatusOK, http.StatusCreated, http.StatusAccepted)})
		default:
			return fmt.Errorf("openapi: %s/%s: unsupported subresource verb %q", r.Name, sub.Name, verb)
		}
	}
	return nil
}

// article picks the article for a kind in descriptions as upstream does:
// none for kinds that read as plurals ("create Endpoints"), else "a"/"an".
func article(kind string) string {
	switch {
	case strings.HasSuffix(kind, "s") && !strings.HasSuffix(kind, "ss"):
		return ""
	case kind != "" && strings.ContainsRune("AEIOUaeiou", rune(kind[0])):
		return "an "
	}
	return "a "
}
