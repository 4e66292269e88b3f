package apiserver

import (
	"net/http"

	restful "github.com/emicklei/go-restful/v3"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/registry/core/namespace"
	"github.com/tinykube/tinykube/pkg/registry/core/pod"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Handlers for the subresources and create-only resources that are not
// plain status or scale: pods/binding (and the bindings resource),
// pods/eviction, namespaces/finalize and selfsubjectreviews.

// SpecialHandlers builds them from the stores they act on.
func SpecialHandlers(pods, pdbs, namespaces *generic.Store) (map[string]restful.RouteFunction, map[schema.GroupVersionResource]restful.RouteFunction) {
	bind := func(req *restful.Request, resp *restful.Response) {
		ns, name := scope(req)
		body, err := readBody(req)
		if err != nil {
			fail(resp, req, err)
			return
		}
		obj, err := decodeBody(req, resp, body, corev1.SchemeGroupVersion.WithKind("Binding"), &corev1.Binding{})
		if err != nil {
			fail(resp, req, err)
			return
		}
		b := obj.(*corev1.Binding)
		if name != "" && b.Name != name {
			fail(resp, req, apierrors.NewBadRequest("the name of the binding does not match the name of the pod"))
			return
		}
		dry, err := dryRun(req.Request.URL.Query()["dryRun"])
		if err == nil {
			err = pod.Bind(reqCtx(req), pods, ns, b, dry)
		}
		if err != nil {
			fail(resp, req, err)
			return
		}
		writeStatusSuccess(resp, req, http.StatusCreated)
	}
	evict := func(req *restful.Request, resp *restful.Response) {
		ns, name := scope(req)
		body, err := readBody(req)
		if err != nil {
			fail(resp, req, err)
			return
		}
		obj, err := decodeBody(req, resp, body, policyv1.SchemeGroupVersion.WithKind("Eviction"), &policyv1.Eviction{})
		if err != nil {
			fail(resp, req, err)
			return
		}
		ev := obj.(*policyv1.Eviction)
		if ev.Name != name {
			fail(resp, req, apierrors.NewBadRequest("name in URL does not match name in Eviction object"))
			return
		}
		dry, err := dryRun(req.Request.URL.Query()["dryRun"])
		if err == nil {
			err = pod.Evict(reqCtx(req), pods, pdbs, ns, ev, dry)
		}
		if err != nil {
			fail(resp, req, err)
			return
		}
		writeStatusSuccess(resp, req, http.StatusCreated)
	}
	finalize := &endpoint{store: namespaces, sub: "finalize",
		strategy: namespace.FinalizeStrategy{Strategy: namespaces.Strategy.(namespace.Strategy)}}
	whoami := func(req *restful.Request, resp *restful.Response) {
		u, ok := authn.UserFrom(reqCtx(req))
		if !ok {
			fail(resp, req, apierrors.NewUnauthorized("Unauthorized"))
			return
		}
		extra := map[string]authenticationv1.ExtraValue{}
		for k, v := range u.Extra {
			extra[k] = v
		}
		review := &authenticationv1.SelfSubjectReview{Status: authenticationv1.SelfSubjectReviewStatus{
			UserInfo: authenticationv1.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups, Extra: extra}}}
		review.CreationTimestamp = metav1.Now()
		out, err := negotiate(req.Request, false)
		if err != nil {
			fail(resp, req, err)
			return
		}
		writeObject(resp.ResponseWriter, req.Request, http.StatusCreated, review, authenticationv1.SchemeGroupVersion, out)
	}
	subs := map[string]restful.RouteFunction{
		corev1.SchemeGroupVersion.WithResource("pods").String() + "/binding":        bind,
		corev1.SchemeGroupVersion.WithResource("pods").String() + "/eviction":       evict,
		corev1.SchemeGroupVersion.WithResource("namespaces").String() + "/finalize": finalize.update,
	}
	creates := map[schema.GroupVersionResource]restful.RouteFunction{
		corev1.SchemeGroupVersion.WithResource("bindings"):                     bind,
		authenticationv1.SchemeGroupVersion.WithResource("selfsubjectreviews"): whoami,
	}
	return subs, creates
}

func writeStatusSuccess(resp *restful.Response, req *restful.Request, code int) {
	st := &metav1.Status{Status: metav1.StatusSuccess, Code: int32(code)}
	encodeTo(resp.ResponseWriter, code, withKind(st, statusKind), mustSerializer(runtime.ContentTypeJSON))
}
