package apiserver

import (
	"context"
	"net/http"

	restful "github.com/emicklei/go-restful/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// update serves PUT on one object (or its status): 200, or 201 when the
// PUT created it.
func (e *endpoint) update(req *restful.Request, resp *restful.Response) {
	ns, name := scope(req)
	opts := &metav1.UpdateOptions{}
	if err := decodeQuery(req.Request.URL.Query(), opts); err != nil {
		fail(resp, req, err)
		return
	}
	w, err := e.readWrite(req, resp, opts.DryRun, opts.FieldManager)
	if err != nil {
		fail(resp, req, err)
		return
	}
	obj, dry, manager := w.obj, w.dryRun, w.manager
	fn := func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		next := obj.DeepCopyObject()
		if current == nil {
			current = e.store.New()
		}
		return e.trackFields(current, next, manager)
	}
	out, created, err := e.store.Update(reqCtx(req), ns, name, fn, generic.UpdateOptions{DryRun: dry, Strategy: e.strategy})
	if err != nil {
		fail(resp, req, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	e.respond(resp, req, code, out)
}
