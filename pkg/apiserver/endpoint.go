package apiserver

import (
	"context"
	"net/http"
	"net/url"
	"sync"

	restful "github.com/emicklei/go-restful/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// endpoint serves one resource or one of its subresources. The verb
// handlers live in one file each: get.go, list.go, watch.go, create.go,
// update.go, patch.go, delete.go.
type endpoint struct {
	store *generic.Store
	// sub is "" for the resource itself, else "status", "scale"…
	sub string
	// strategy is the write strategy (status endpoints wrap the resource's).
	strategy generic.Strategy
	// fm tracks managedFields and implements server-side apply; built
	// on first use by fields().
	fmOnce sync.Once
	fm     *managedfields.FieldManager
	fmErr  error
	// types is how the resource's objects are decoded, converted,
	// printed and field-managed: the scheme's for built-in resources,
	// the CRD's for custom resources.
	types Types
}

func (e *endpoint) resource() api.Resource { return e.store.Resource }

// writesObject reports whether the endpoint writes the resource's own
// object (the resource itself, status, CSR approval, pods'
// ephemeralcontainers and resize), so that its writes are field-managed under the
// subresource's name and an apply names the resource's kind; scale,
// binding and the like have kinds of their own.
func (e *endpoint) writesObject() bool {
	switch e.sub {
	case "", "status", "approval", "ephemeralcontainers", "resize":
		return true
	}
	return false
}

func (e *endpoint) gv() schema.GroupVersion { return e.store.Resource.GroupVersion }

// scope extracts the namespace and name from the path.
func scope(req *restful.Request) (ns, name string) {
	return req.PathParameter("namespace"), req.PathParameter("name")
}

func reqCtx(req *restful.Request) context.Context { return req.Request.Context() }

// fail writes err as a Status.
func fail(resp *restful.Response, req *restful.Request, err error) {
	writeError(resp.ResponseWriter, req.Request, err)
}

// respond writes obj in the format the client negotiated.
func (e *endpoint) respond(resp *restful.Response, req *restful.Request, code int, obj runtime.Object) {
	out, err := e.negotiate(req.Request, false)
	if err != nil {
		fail(resp, req, err)
		return
	}
	writeObject(resp.ResponseWriter, req.Request, code, e.toVersion(obj), e.gv(), out)
}

// negotiate is negotiate for this endpoint's resource: its encodings
// and its Tables.
func (e *endpoint) negotiate(r *http.Request, list bool) (output, error) {
	out, err := negotiateFor(r, list, !e.types.Protobuf())
	out.table = e.types // an interface, not a method value: no allocation per request
	return out, err
}

// toVersion returns obj (an object or list of this resource, as the store
// returns it) at the endpoint's version (custom resources are stored at
// their CRD's storage version).
func (e *endpoint) toVersion(obj runtime.Object) runtime.Object {
	return e.types.ToVersion(obj)
}

// decodeQuery fills a metav1 options struct from the query string and
// validates it (options.go).
func decodeQuery(q url.Values, into runtime.Object) error {
	if err := api.ParameterCodec.DecodeParameters(q, schema.GroupVersion{Version: "v1"}, into); err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	return validateOptions(into)
}

// dryRun validates the dryRun parameter: only "All" exists.
func dryRun(values []string) (bool, error) {
	for _, v := range values {
		if v != metav1.DryRunAll {
			return false, apierrors.NewBadRequest("Invalid dry run parameter: " + v + "; supported values: All")
		}
	}
	return len(values) > 0, nil
}
