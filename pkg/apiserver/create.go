package apiserver

import (
	"fmt"
	"net/http"

	restful "github.com/emicklei/go-restful/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// create serves POST on a collection: 201 with the stored object.
func (e *endpoint) create(req *restful.Request, resp *restful.Response) {
	ns, _ := scope(req)
	opts := &metav1.CreateOptions{}
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
	if err := checkNamespace(obj, ns, e.resource().Namespaced); err != nil {
		fail(resp, req, err)
		return
	}
	if obj, err = e.trackFields(e.store.New(), obj, manager); err != nil {
		fail(resp, req, err)
		return
	}
	out, err := e.store.Create(reqCtx(req), ns, obj, dry)
	if err != nil {
		fail(resp, req, err)
		return
	}
	e.respond(resp, req, http.StatusCreated, out)
}

// checkNamespace fills in or checks the body's namespace against the path.
func checkNamespace(obj runtime.Object, ns string, namespaced bool) error {
	m := objectMeta(obj)
	if !namespaced {
		return nil
	}
	if m.GetNamespace() == "" {
		m.SetNamespace(ns)
	}
	if m.GetNamespace() != ns {
		return apierrors.NewBadRequest(fmt.Sprintf("the namespace of the provided object (%s) does not match the namespace sent on the request (%s)", m.GetNamespace(), ns))
	}
	return nil
}

// writeRequest is what every POST and PUT of an object carries: the
// decoded, defaulted body, the dryRun flag and the field manager.
type writeRequest struct {
	obj     runtime.Object
	dryRun  bool
	manager string
}

// readWrite reads and decodes a write's body and its common options.
func (e *endpoint) readWrite(req *restful.Request, resp *restful.Response, dryRunValues []string, fieldManager string) (writeRequest, error) {
	dry, err := dryRun(dryRunValues)
	if err != nil {
		return writeRequest{}, err
	}
	body, err := readBody(req)
	if err != nil {
		return writeRequest{}, err
	}
	obj, err := e.types.Decode(req.Request, resp, body)
	if err != nil {
		return writeRequest{}, err
	}
	manager, err := e.manager(req, fieldManager)
	if err != nil {
		return writeRequest{}, err
	}
	return writeRequest{obj: obj, dryRun: dry, manager: manager}, nil
}
