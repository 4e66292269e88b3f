package apiserver

import (
	"net/http"

	restful "github.com/emicklei/go-restful/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// deleteOptions reads DeleteOptions from the body (kubectl, client-go) or
// the query string.
func deleteOptions(req *restful.Request, resp *restful.Response) (*metav1.DeleteOptions, error) {
	opts := &metav1.DeleteOptions{}
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	if len(body) > 0 {
		info, err := requestSerializer(req.Request)
		if err != nil {
			return nil, err
		}
		want := metav1.SchemeGroupVersion.WithKind("DeleteOptions")
		// DeleteOptions arrive as meta.k8s.io/v1 or under the resource's
		// group version; both decode the same.
		if _, _, err := info.Serializer.Decode(body, &want, opts); err != nil {
			return nil, badRequest("DeleteOptions", err)
		}
	}
	if err := decodeQuery(req.Request.URL.Query(), opts); err != nil {
		return nil, err
	}
	return opts, nil
}

// delete serves DELETE on one object. It answers with the object (for
// resources that return it, or when deletion is pending) or a Success
// Status naming it.
func (e *endpoint) delete(req *restful.Request, resp *restful.Response) {
	ns, name := scope(req)
	opts, err := deleteOptions(req, resp)
	if err != nil {
		fail(resp, req, err)
		return
	}
	dry, err := dryRun(opts.DryRun)
	if err != nil {
		fail(resp, req, err)
		return
	}
	obj, deleted, err := e.store.Delete(reqCtx(req), ns, name, opts, dry)
	if err != nil {
		fail(resp, req, err)
		return
	}
	if deleted && !e.types.ReturnsDeletedObject() {
		m := objectMeta(obj)
		obj = &metav1.Status{Status: metav1.StatusSuccess, Details: &metav1.StatusDetails{
			Name: m.GetName(), Group: e.gv().Group, Kind: e.resource().Name, UID: m.GetUID()}}
		e.respondStatus(resp, req, obj)
		return
	}
	e.respond(resp, req, http.StatusOK, obj)
}

func (e *endpoint) respondStatus(resp *restful.Response, req *restful.Request, obj runtime.Object) {
	out, err := e.negotiate(req.Request, false)
	if err != nil || out.as != asObject {
		out = output{info: mustSerializer(runtime.ContentTypeJSON)}
	}
	encodeTo(resp.ResponseWriter, http.StatusOK, withKind(obj, schema.GroupVersionKind{Version: "v1", Kind: "Status"}), out.info)
}

// deleteCollection serves DELETE on a collection.
func (e *endpoint) deleteCollection(req *restful.Request, resp *restful.Response) {
	ns, _ := scope(req)
	opts, err := deleteOptions(req, resp)
	if err != nil {
		fail(resp, req, err)
		return
	}
	listOpts := &metav1.ListOptions{}
	if err := decodeQuery(req.Request.URL.Query(), listOpts); err != nil {
		fail(resp, req, err)
		return
	}
	dry, err := dryRun(opts.DryRun)
	if err != nil {
		fail(resp, req, err)
		return
	}
	list, err := e.store.DeleteCollection(reqCtx(req), ns, opts, listOpts, dry)
	if err != nil {
		fail(resp, req, err)
		return
	}
	e.respond(resp, req, http.StatusOK, list)
}
