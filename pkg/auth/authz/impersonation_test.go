package authz_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/auth/authz"
)

// TestImpersonation: the impersonated user reaches the handler with the
// groups upstream gives it, each impersonation is authorized, a refusal
// is upstream's 403 and groups without a user a 400.
func TestImpersonation(t *testing.T) {
	var asked []string
	deny := ""
	a := authz.AuthorizerFunc(func(_ context.Context, at authz.Attributes) (authz.Decision, string, error) {
		asked = append(asked, strings.Join([]string{at.User.Name, at.Verb, at.APIGroup, at.Resource, at.Subresource, at.Namespace, at.Name}, "|"))
		if at.Name == deny {
			return authz.NoOpinion, "", nil
		}
		return authz.Allow, "", nil
	})
	var got *authn.User
	var leaked bool
	h := authz.WithImpersonation(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = authn.UserFrom(r.Context())
		leaked = r.Header.Get("Impersonate-User") != ""
	}), a)
	serve := func(headers map[string][]string) *httptest.ResponseRecorder {
		got, asked = nil, nil
		r := httptest.NewRequest(http.MethodGet, "/api/v1/pods", nil)
		for k, vs := range headers {
			for _, v := range vs {
				r.Header.Add(k, v)
			}
		}
		r = r.WithContext(authn.WithUser(r.Context(), &authn.User{Name: "admin", Groups: []string{authn.GroupMasters, authn.GroupAuthenticated}}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	serve(nil)
	if got == nil || got.Name != "admin" || len(asked) != 0 {
		t.Fatalf("no headers: user %+v, asked %q", got, asked)
	}
	serve(map[string][]string{"Impersonate-User": {"alice"}, "Impersonate-Group": {"devs", "ops"}, "Impersonate-Extra-Scopes": {"view"}})
	if got == nil || got.Name != "alice" || !slices.Equal(got.Groups, []string{"devs", "ops", authn.GroupAuthenticated}) ||
		!slices.Equal(got.Extra["scopes"], []string{"view"}) || leaked {
		t.Fatalf("alice: user %+v (headers leaked: %v)", got, leaked)
	}
	want := []string{"admin|impersonate||users|||alice", "admin|impersonate||groups|||devs", "admin|impersonate||groups|||ops",
		"admin|impersonate|authentication.k8s.io|userextras|scopes||view"}
	if !slices.Equal(asked, want) {
		t.Fatalf("authorized %q, want %q", asked, want)
	}
	serve(map[string][]string{"Impersonate-User": {"system:serviceaccount:ns1:bot"}})
	if got == nil || !slices.Equal(got.Groups, []string{"system:serviceaccounts", "system:serviceaccounts:ns1", authn.GroupAuthenticated}) ||
		!slices.Equal(asked, []string{"admin|impersonate||serviceaccounts||ns1|bot"}) {
		t.Fatalf("service account: user %+v, asked %q", got, asked)
	}
	serve(map[string][]string{"Impersonate-User": {authn.UserAnonymous}})
	if got == nil || !slices.Equal(got.Groups, []string{authn.GroupUnauthenticated}) {
		t.Fatalf("anonymous: user %+v", got)
	}

	deny = "ops"
	w := serve(map[string][]string{"Impersonate-User": {"alice"}, "Impersonate-Group": {"ops"}})
	if w.Code != http.StatusForbidden || got != nil ||
		!strings.Contains(w.Body.String(), `groups \"ops\" is forbidden: User \"admin\" cannot impersonate resource \"groups\" in API group \"\" at the cluster scope`) {
		t.Fatalf("denied group: %d %s (handler saw %+v)", w.Code, w.Body, got)
	}
	w = serve(map[string][]string{"Impersonate-Group": {"devs"}})
	if w.Code != http.StatusBadRequest || got != nil {
		t.Fatalf("group without user: %d %s", w.Code, w.Body)
	}
}
