package apiserver

import (
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/auth/authz"
)

// withAuthorization asks a for a decision on every request, described by
// upstream's request attributes (verb, group, resource, namespace, name).
// A request not allowed is answered with upstream's Forbidden Status
// ("User "u" cannot get resource "pods" ...: <reason>"); an authorizer
// error with 500.
//
// verbs fixes the verb of some subresources whatever the method, keyed
// "<resource>/<sub>" (connectVerbs).
func withAuthorization(h http.Handler, a authz.Authorizer, verbs map[string]string) http.Handler {
	if a == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attrs := requestAttributesWith(r, verbs)
		decision, reason, err := a.Authorize(r.Context(), attrs)
		if err == nil && decision == authz.Allow {
			h.ServeHTTP(w, r)
			return
		}
		if err != nil {
			// The authorizer could not decide: 500, as upstream.
			writeError(w, r, apierrors.NewInternalError(err))
			return
		}
		writeError(w, r, &apierrors.StatusError{ErrStatus: *authz.Forbidden(attrs, reason)})
	})
}

// requestAttributes parses /api/v1/namespaces/ns/pods/name/sub style paths
// into authorization attributes.
func requestAttributes(r *http.Request) authz.Attributes {
	u, _ := authn.UserFrom(r.Context())
	attrs := authz.Attributes{User: u, Path: r.URL.Path, Verb: strings.ToLower(r.Method)}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		attrs.APIVersion, parts = parts[1], parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		attrs.APIGroup, attrs.APIVersion, parts = parts[1], parts[2], parts[3:]
	default:
		return attrs // a non-resource path: verb is the HTTP method
	}
	attrs.ResourceRequest = true
	// /namespaces/{ns}/… is a namespaced resource, except the namespace's
	// own subresources (/namespaces/{ns}/status, /finalize).
	if len(parts) >= 2 && parts[0] == "namespaces" {
		attrs.Namespace = parts[1]
		if len(parts) > 2 && parts[2] != "status" && parts[2] != "finalize" {
			parts = parts[2:]
		}
	}
	if len(parts) > 0 {
		attrs.Resource = parts[0]
	}
	if len(parts) > 1 {
		attrs.Name = parts[1]
	}
	if len(parts) > 2 {
		attrs.Subresource = parts[2]
	}
	q := r.URL.Query()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		switch {
		case q.Get("watch") == "true" || q.Get("watch") == "1":
			attrs.Verb = "watch"
		case attrs.Name == "":
			attrs.Verb = "list"
		default:
			attrs.Verb = "get"
		}
	case http.MethodPost:
		attrs.Verb = "create"
	case http.MethodPut:
		attrs.Verb = "update"
	case http.MethodPatch:
		attrs.Verb = "patch"
	case http.MethodDelete:
		attrs.Verb = "delete"
		if attrs.Name == "" {
			attrs.Verb = "deletecollection"
		}
	}
	return attrs
}

// requestAttributesWith is requestAttributes with the fixed verbs of
// connect subresources (connectVerbs).
func requestAttributesWith(r *http.Request, verbs map[string]string) authz.Attributes {
	attrs := requestAttributes(r)
	if v, ok := verbs[attrs.Resource+"/"+attrs.Subresource]; ok && attrs.Subresource != "" {
		attrs.Verb = v
	}
	return attrs
}

// connectVerbs returns the fixed verbs of connect subresources, keyed
// "<resource>/<sub>".
func connectVerbs(hs map[string]ConnectHandler) map[string]string {
	verbs := map[string]string{}
	for key, h := range hs {
		if h.Verb == "" {
			continue
		}
		// key is "<group>/<version>, Resource=<resource>/<sub>".
		if _, rest, ok := strings.Cut(key, "Resource="); ok {
			verbs[rest] = h.Verb
		}
	}
	return verbs
}
