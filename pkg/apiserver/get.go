package apiserver

import (
	"net/http"

	restful "github.com/emicklei/go-restful/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// get serves GET on one object.
func (e *endpoint) get(req *restful.Request, resp *restful.Response) {
	ns, name := scope(req)
	opts := &metav1.GetOptions{}
	if err := decodeQuery(req.Request.URL.Query(), opts); err != nil {
		fail(resp, req, err)
		return
	}
	obj, err := e.store.Get(reqCtx(req), ns, name, opts)
	if err != nil {
		fail(resp, req, err)
		return
	}
	e.respond(resp, req, http.StatusOK, obj)
}
