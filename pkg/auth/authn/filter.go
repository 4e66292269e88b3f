package authn

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// publicPaths are served without credentials: the health checks and the
// version, as upstream's system:public-info-viewer role allows. Subpaths
// (/readyz/etcd, /livez/ping) are included.
func publicPaths() []string { return []string{"/healthz", "/livez", "/readyz", "/version"} }

// ClusterInfoPath is the kube-public/cluster-info ConfigMap, which a
// joining node reads before it has credentials (kubeadm's token
// discovery). Upstream's bootstrap RBAC lets system:anonymous get exactly
// this object; the filter lets an anonymous GET of it through (not a
// watch, not a write, not the list it is in).
const ClusterInfoPath = "/api/v1/namespaces/kube-public/configmaps/cluster-info"

// isPublicRead reports whether r is an anonymous read allowed as upstream's
// bootstrap RBAC allows one: GET of ClusterInfoPath.
func isPublicRead(r *http.Request) bool {
	if r.Method != http.MethodGet || r.URL.Path != ClusterInfoPath {
		return false
	}
	w := r.URL.Query().Get("watch")
	return w == "" || w == "false" || w == "0"
}

// WithAuthentication returns a handler that authenticates every request
// with a before calling h.
//
//   - Valid credentials: the user, with system:authenticated added, is
//     stored in the request context (UserFrom) and the Authorization header
//     is removed.
//   - No credentials on /healthz, /livez, /readyz, /version or
//     anonymousPaths (each matching itself and its subpaths), and GET of
//     ClusterInfoPath: h runs as system:anonymous in group
//     system:unauthenticated.
//   - Otherwise, including invalid credentials on a public path: 401 with
//     upstream's Unauthorized Status and h is not called.
func WithAuthentication(h http.Handler, a Authenticator, anonymousPaths ...string) http.Handler {
	public := append(publicPaths(), anonymousPaths...)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok, err := a.AuthenticateRequest(r)
		switch {
		case err != nil:
			slog.DebugContext(r.Context(), "authentication failed", "path", r.URL.Path, "err", err)
			writeUnauthorized(w)
			return
		case ok:
			if !u.InGroup(GroupAuthenticated) {
				u.Groups = append(u.Groups, GroupAuthenticated)
			}
			r.Header.Del("Authorization")
		case matchesAny(r.URL.Path, public) || isPublicRead(r):
			u = anonymousUser()
		default:
			writeUnauthorized(w)
			return
		}
		h.ServeHTTP(w, r.WithContext(WithUser(r.Context(), u)))
	})
}

func matchesAny(path string, prefixes []string) bool {
	for _, p := range prefixes {
		p = strings.TrimSuffix(p, "/")
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// unauthorizedBody is what kube-apiserver sends with a 401, byte for byte
// (its JSON encoder ends the document with a newline).
var unauthorizedBody = func() []byte {
	b, err := json.Marshal(&metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure,
		Message:  "Unauthorized",
		Reason:   metav1.StatusReasonUnauthorized,
		Code:     http.StatusUnauthorized,
	})
	if err != nil {
		panic(err) // a constant struct always marshals
	}
	return append(b, '\n')
}()

func writeUnauthorized(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write(unauthorizedBody)
}
