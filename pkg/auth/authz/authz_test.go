package authz_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/auth/authz"
)

var alice = &authn.User{Name: "u", Groups: []string{authn.GroupAuthenticated}}

func TestForbiddenMessage(t *testing.T) {
	cases := []struct {
		name   string
		a      authz.Attributes
		reason string
		want   string
	}{
		{"namespaced get",
			authz.Attributes{User: alice, Verb: "get", Resource: "pods", Namespace: "default", Name: "x", ResourceRequest: true}, "",
			`pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "default"`},
		{"list has no name",
			authz.Attributes{User: alice, Verb: "list", APIGroup: "apps", Resource: "deployments", Namespace: "ns1", ResourceRequest: true}, "",
			`deployments.apps is forbidden: User "u" cannot list resource "deployments" in API group "apps" in the namespace "ns1"`},
		{"cluster scope",
			authz.Attributes{User: alice, Verb: "get", Resource: "nodes", Name: "n1", ResourceRequest: true}, "",
			`nodes "n1" is forbidden: User "u" cannot get resource "nodes" in API group "" at the cluster scope`},
		{"subresource",
			authz.Attributes{User: alice, Verb: "update", Resource: "pods", Subresource: "status", Namespace: "default", Name: "x", ResourceRequest: true}, "",
			`pods "x" is forbidden: User "u" cannot update resource "pods/status" in API group "" in the namespace "default"`},
		{"non-resource",
			authz.Attributes{User: alice, Verb: "get", Path: "/metrics"}, "",
			`forbidden: User "u" cannot get path "/metrics"`},
		{"reason and escaping",
			authz.Attributes{User: alice, Verb: "get", Path: "/<b>"}, "no RBAC policy matched",
			`forbidden: User "u" cannot get path "/&lt;b&gt;": no RBAC policy matched`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := authz.Forbidden(tc.a, tc.reason)
			if s.Message != tc.want {
				t.Errorf("message\n got %s\nwant %s", s.Message, tc.want)
			}
			if s.Code != http.StatusForbidden || s.Reason != "Forbidden" || s.Status != "Failure" {
				t.Errorf("status = %+v", s)
			}
		})
	}
}

func TestWriteForbiddenBody(t *testing.T) {
	rec := httptest.NewRecorder()
	authz.WriteForbidden(rec, authz.Attributes{User: alice, Verb: "get", Resource: "pods", Namespace: "default", Name: "x", ResourceRequest: true}, "")
	want := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"x\" is forbidden: User \"u\" cannot get resource \"pods\" in API group \"\" in the namespace \"default\"","reason":"Forbidden","details":{"name":"x","kind":"pods"},"code":403}` + "\n"
	if rec.Code != http.StatusForbidden || rec.Body.String() != want {
		t.Errorf("got %d %s\nwant 403 %s", rec.Code, rec.Body.String(), want)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func decide(d authz.Decision, err error) authz.Authorizer {
	return authz.AuthorizerFunc(func(context.Context, authz.Attributes) (authz.Decision, string, error) {
		return d, "", err
	})
}

func TestWithAuthorization(t *testing.T) {
	attrs := func(r *http.Request) (authz.Attributes, error) {
		return authz.Attributes{Verb: "get", Resource: "pods", Namespace: "default", Name: "x", ResourceRequest: true}, nil
	}
	boom := errors.New("boom")
	cases := []struct {
		name   string
		z      authz.Authorizer
		noUser bool
		want   int
	}{
		{"always allow", authz.AlwaysAllow(), false, http.StatusOK},
		{"deny", decide(authz.Deny, nil), false, http.StatusForbidden},
		{"no opinion", decide(authz.NoOpinion, nil), false, http.StatusForbidden},
		{"error", decide(authz.NoOpinion, boom), false, http.StatusInternalServerError},
		{"union: no opinion then allow", authz.NewUnion(decide(authz.NoOpinion, nil), authz.AlwaysAllow()), false, http.StatusOK},
		{"union: deny before allow", authz.NewUnion(decide(authz.Deny, nil), authz.AlwaysAllow()), false, http.StatusForbidden},
		{"union: error then allow", authz.NewUnion(decide(authz.NoOpinion, boom), authz.AlwaysAllow()), false, http.StatusOK},
		{"union: nobody decides", authz.NewUnion(decide(authz.NoOpinion, nil)), false, http.StatusForbidden},
		{"no user in context", authz.AlwaysAllow(), true, http.StatusInternalServerError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
			h := authz.WithAuthorization(ok, tc.z, attrs)
			req := httptest.NewRequest(http.MethodGet, "/api/v1/namespaces/default/pods/x", nil)
			if !tc.noUser {
				req = req.WithContext(authn.WithUser(req.Context(), alice))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("code = %d, want %d (%s)", rec.Code, tc.want, rec.Body.String())
			}
		})
	}
}
