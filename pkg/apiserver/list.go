package apiserver

import (
	"errors"
	"net/http"

	restful "github.com/emicklei/go-restful/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// list serves GET on a collection: a list, or a watch with ?watch=true.
// JSON and protobuf lists of cached objects are written from the objects'
// cached encodings (cachedencode.go); Tables, PartialObjectMetadata and
// YAML are built as a typed list and encoded whole.
func (e *endpoint) list(req *restful.Request, resp *restful.Response) {
	ns, _ := scope(req)
	opts := &metav1.ListOptions{}
	if err := decodeQuery(req.Request.URL.Query(), opts); err != nil {
		fail(resp, req, err)
		return
	}
	if opts.Watch {
		e.watch(req, resp, ns, opts)
		return
	}
	out, err := e.negotiate(req.Request, true)
	if err != nil {
		fail(resp, req, err)
		return
	}
	if out.as == asObject && canEncodeCached(out.info) {
		cached, ok, err := e.store.ListCachedObjects(reqCtx(req), ns, opts)
		if err != nil {
			fail(resp, req, err)
			return
		}
		if ok {
			empty := e.store.NewList()
			err := writeCachedList(resp.ResponseWriter, cached, empty, kindOf(empty, e.gv()), e.resource().GVK(), out.info)
			if !errors.Is(err, errNoCachedList) {
				if err != nil {
					fail(resp, req, err)
				}
				return
			}
		}
	}
	list, err := e.store.List(reqCtx(req), ns, opts)
	if err != nil {
		fail(resp, req, err)
		return
	}
	writeObject(resp.ResponseWriter, req.Request, http.StatusOK, e.toVersion(list), e.gv(), out)
}
