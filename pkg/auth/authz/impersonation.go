package authz

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/pkg/auth/authn"
)

// Impersonation headers, as upstream's (kubectl --as, --as-group,
// --as-uid; client-go's rest.ImpersonationConfig).
const (
	headerUser        = "Impersonate-User"
	headerGroup       = "Impersonate-Group"
	headerUID         = "Impersonate-Uid"
	headerExtraPrefix = "Impersonate-Extra-"
)

// WithImpersonation returns a handler that, for a request carrying
// Impersonate-* headers, asks a whether the authenticated user may
// impersonate each of them (verb "impersonate" on users, groups,
// serviceaccounts, and authentication.k8s.io's uids and userextras), as
// upstream's impersonation filter does, then runs h as the impersonated
// user: a service account's name ("system:serviceaccount:<ns>:<name>")
// gets the service-account groups, a non-anonymous user
// system:authenticated. A refusal is upstream's 403; groups, a UID or
// extras without a user are a 400. Place it after authentication and
// before authorization. A nil a allows everything.
func WithImpersonation(h http.Handler, a Authorizer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.Header.Get(headerUser)
		groups := r.Header.Values(headerGroup)
		uid := r.Header.Get(headerUID)
		extra := map[string][]string{}
		for k, vs := range r.Header {
			if len(k) > len(headerExtraPrefix) && strings.EqualFold(k[:len(headerExtraPrefix)], headerExtraPrefix) {
				key := strings.ToLower(k[len(headerExtraPrefix):])
				if unescaped, err := url.PathUnescape(key); err == nil {
					key = unescaped
				}
				extra[key] = append(extra[key], vs...)
			}
		}
		if name == "" && len(groups) == 0 && uid == "" && len(extra) == 0 {
			h.ServeHTTP(w, r)
			return
		}
		requestor, ok := authn.UserFrom(r.Context())
		if !ok {
			writeError(w, apierrors.NewInternalError(fmt.Errorf("no user found for request")))
			return
		}
		if name == "" {
			writeError(w, apierrors.NewBadRequest("requested impersonation of groups, a UID or extra fields without impersonating a user"))
			return
		}
		var checks []Attributes
		check := func(group, resource, sub, namespace, n string) {
			checks = append(checks, Attributes{User: requestor, Verb: "impersonate", ResourceRequest: true,
				APIGroup: group, Resource: resource, Subresource: sub, Namespace: namespace, Name: n})
		}
		target := &authn.User{Name: name, UID: uid, Audiences: requestor.Audiences}
		if ns, sa, ok := serviceAccountName(name); ok {
			check("", "serviceaccounts", "", ns, sa)
			target.Groups = append(target.Groups, "system:serviceaccounts", "system:serviceaccounts:"+ns)
		} else {
			check("", "users", "", "", name)
		}
		for _, g := range groups {
			check("", "groups", "", "", g)
			target.Groups = append(target.Groups, g)
		}
		if uid != "" {
			check("authentication.k8s.io", "uids", "", "", uid)
		}
		for k, vs := range extra {
			for _, v := range vs {
				check("authentication.k8s.io", "userextras", k, "", v)
			}
		}
		if len(extra) > 0 {
			target.Extra = extra
		}
		if a != nil {
			for _, attrs := range checks {
				decision, reason, err := a.Authorize(r.Context(), attrs)
				if err == nil && decision == Allow {
					continue
				}
				if err != nil {
					reason = err.Error()
				}
				WriteForbidden(w, attrs, reason)
				return
			}
		}
		switch {
		case name == authn.UserAnonymous:
			if !target.InGroup(authn.GroupUnauthenticated) {
				target.Groups = append(target.Groups, authn.GroupUnauthenticated)
			}
		case !target.InGroup(authn.GroupAuthenticated) && !target.InGroup(authn.GroupUnauthenticated):
			target.Groups = append(target.Groups, authn.GroupAuthenticated)
		}
		for k := range r.Header {
			if strings.HasPrefix(strings.ToLower(k), "impersonate-") {
				r.Header.Del(k)
			}
		}
		h.ServeHTTP(w, r.WithContext(authn.WithUser(r.Context(), target)))
	})
}

// serviceAccountName splits "system:serviceaccount:<ns>:<name>".
func serviceAccountName(user string) (namespace, name string, ok bool) {
	rest, found := strings.CutPrefix(user, "system:serviceaccount:")
	if !found {
		return "", "", false
	}
	namespace, name, ok = strings.Cut(rest, ":")
	return namespace, name, ok && namespace != "" && name != ""
}

// writeError writes err's Status as a JSON response.
func writeError(w http.ResponseWriter, err *apierrors.StatusError) {
	st := err.ErrStatus
	st.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	writeStatus(w, &st)
}
