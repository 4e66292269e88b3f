package apiserver

import (
	"context"
	"net/http"

	restful "github.com/emicklei/go-restful/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The HTTP layer knows no subresource beyond status, scale and approval:
// the server registers the others (pods/binding, pods/eviction,
// namespaces/finalize, serviceaccounts/token) in Config as a CreateHandler (POST) or an update
// strategy (PUT), and resources whose only verb is create (bindings) may
// serve a CreateHandler too.

// CreateHandler serves a POST that hands a decoded body to a function:
// the body is decoded as Kind (fieldValidation and defaulting as for any
// write), its name must match the name in the URL when the URL has one,
// and dryRun is checked before Create is called.
type CreateHandler struct {
	// Kind is the body's kind; New returns an empty object of it.
	Kind schema.GroupVersionKind
	New  func() runtime.Object
	// NameMismatch is the 400's message when the body names another
	// object than the URL. Empty leaves the body's name to Create
	// (a TokenRequest may leave it empty, or must match with a 422).
	NameMismatch string
	// Create acts on obj for the object ns/name of the URL (name is ""
	// on a collection). A nil object answers 201 with a Success Status;
	// otherwise the object is written back, 201.
	Create func(ctx context.Context, ns, name string, obj runtime.Object, dryRun bool) (runtime.Object, error)
}

// Serve is the handler's go-restful route function.
func (h CreateHandler) Serve(req *restful.Request, resp *restful.Response) {
	ns, name := scope(req)
	body, err := readBody(req)
	if err != nil {
		fail(resp, req, err)
		return
	}
	obj, err := decodeBody(req.Request, resp, body, h.Kind, h.New())
	if err != nil {
		fail(resp, req, err)
		return
	}
	if h.NameMismatch != "" && name != "" && objectMeta(obj).GetName() != name {
		fail(resp, req, apierrors.NewBadRequest(h.NameMismatch))
		return
	}
	dry, err := dryRun(req.Request.URL.Query()["dryRun"])
	if err == nil {
		obj, err = h.Create(reqCtx(req), ns, name, obj, dry)
	}
	if err != nil {
		fail(resp, req, err)
		return
	}
	if obj == nil {
		writeStatusSuccess(resp, req, http.StatusCreated)
		return
	}
	out, err := negotiate(req.Request, false)
	if err != nil {
		fail(resp, req, err)
		return
	}
	writeObject(resp.ResponseWriter, req.Request, http.StatusCreated, obj, h.Kind.GroupVersion(), out)
}

func writeStatusSuccess(resp *restful.Response, req *restful.Request, code int) {
	st := &metav1.Status{Status: metav1.StatusSuccess, Code: int32(code)}
	encodeTo(resp.ResponseWriter, code, withKind(st, statusKind), mustSerializer(runtime.ContentTypeJSON))
}

// ConnectHandler serves a connect subresource: one the server hands on
// to another server (pods/log, pods/exec, pods/attach, pods/portforward
// and the proxy subresources reach a node's kubelet, a pod or a
// service). The HTTP layer routes the request and authorizes it; Serve
// owns the response, and returns an error only if it has written
// nothing (the error is then written as a Status).
type ConnectHandler struct {
	// Methods served (GET, POST, …).
	Methods []string
	// SubPath: the subresource also serves every path below it
	// (…/proxy/a/b), handed to Serve as path ("" at the subresource).
	SubPath bool
	// Verb, if set, is the verb authorized whatever the method (as
	// upstream authorizes exec, attach and portforward as create even
	// for a GET WebSocket upgrade); else the method's verb.
	Verb  string
	Serve func(w http.ResponseWriter, r *http.Request, ns, name, path string) error
}

func (h ConnectHandler) route(req *restful.Request, resp *restful.Response) {
	ns, name := scope(req)
	if err := h.Serve(resp.ResponseWriter, req.Request, ns, name, req.PathParameter("path")); err != nil {
		fail(resp, req, err)
	}
}
