package apiserver

import (
	"net/http"
	"net/http/httptest"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestConnectVerbs: a connect subresource with a fixed verb is
// authorized with it whatever the method (a WebSocket exec is a GET,
// authorized as create, as upstream); others keep the method's verb.
func TestConnectVerbs(t *testing.T) {
	pods := corev1.SchemeGroupVersion.WithResource("pods").String()
	verbs := connectVerbs(map[string]ConnectHandler{
		pods + "/exec": {Verb: "create"},
		pods + "/log":  {},
	})
	if len(verbs) != 1 || verbs["pods/exec"] != "create" {
		t.Fatalf("connectVerbs = %v", verbs)
	}
	for _, tc := range []struct{ method, path, want string }{
		{http.MethodGet, "/api/v1/namespaces/ns/pods/p/exec", "create"},
		{http.MethodPost, "/api/v1/namespaces/ns/pods/p/exec", "create"},
		{http.MethodGet, "/api/v1/namespaces/ns/pods/p/log", "get"},
		{http.MethodGet, "/api/v1/namespaces/ns/pods/p", "get"},
	} {
		r := httptest.NewRequest(tc.method, tc.path, nil)
		if attrs := requestAttributesWith(r, verbs); attrs.Verb != tc.want {
			t.Errorf("%s %s: verb %q, want %q", tc.method, tc.path, attrs.Verb, tc.want)
		}
	}
}
