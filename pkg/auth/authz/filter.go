package authz

import (
	"log/slog"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/pkg/auth/authn"
)

// AttributesFunc derives the authorization attributes of a request (verb,
// resource, namespace, ...) from its URL and method; the API server's
// request-info parser supplies it. The user is filled in by
// WithAuthorization.
type AttributesFunc func(r *http.Request) (Attributes, error)

// WithAuthorization returns a handler that asks z about every request
// before calling h. It must run inside authn.WithAuthentication: a request
// without a user in its context is answered 500. Allow calls h; an
// authorizer error answers 500 (as upstream does); anything else answers
// 403 with Forbidden.
func WithAuthorization(h http.Handler, z Authorizer, attrs AttributesFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := authn.UserFrom(r.Context())
		if !ok {
			writeInternalError(w, "no user found for request")
			return
		}
		a, err := attrs(r)
		if err != nil {
			writeInternalError(w, err.Error())
			return
		}
		a.User = u
		d, reason, err := z.Authorize(r.Context(), a)
		if d == Allow {
			h.ServeHTTP(w, r)
			return
		}
		if err != nil {
			slog.ErrorContext(r.Context(), "authorization failed", "user", u.Name, "verb", a.Verb, "resource", a.Resource, "path", a.Path, "err", err)
			writeInternalError(w, err.Error())
			return
		}
		WriteForbidden(w, a, reason)
	})
}

func writeInternalError(w http.ResponseWriter, msg string) {
	s := apierrors.NewInternalError(errorString(msg)).ErrStatus
	s.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	writeStatus(w, &s)
}
