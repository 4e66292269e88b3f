package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/api"
)

// rawClient sends hand-made requests with a rest.Config's credentials.
type rawClient struct {
	base string
	http *http.Client
}

func newRawClient(t *testing.T, s *testserver.Server, cfg *rest.Config) *rawClient {
	t.Helper()
	tr, err := rest.TransportFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &rawClient{base: s.URL, http: &http.Client{Transport: tr}}
}

type rawResponse struct {
	code   int
	header http.Header
	status metav1.Status
	body   []byte
}

func (c *rawClient) do(t *testing.T, method, path, contentType string, body []byte) rawResponse {
	t.Helper()
	return c.send(t, method, path, contentType, "application/json", body)
}

// send is do with an Accept header of the caller's.
func (c *rawClient) send(t *testing.T, method, path, contentType, accept string, body []byte) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", accept)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := rawResponse{code: resp.StatusCode, header: resp.Header}
	out.body, _ = io.ReadAll(resp.Body)
	_ = json.Unmarshal(out.body, &out.status)
	return out
}

// snapshot is the name → resourceVersion of every ConfigMap and
// Deployment in the namespace: a bad request must leave it unchanged.
func snapshot(t *testing.T, s *testserver.Server, ns string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	cms, err := s.Client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cms.Items {
		out["cm/"+c.Name] = c.ResourceVersion
	}
	deps, err := s.Client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deps.Items {
		out["deploy/"+d.Name] = d.ResourceVersion
	}
	return out
}

func cmJSON(name, namespace, kind, extra string) []byte {
	ns := ""
	if namespace != "" {
		ns = fmt.Sprintf(`,"namespace":%q`, namespace)
	}
	return []byte(fmt.Sprintf(`{"apiVersion":"v1","kind":%q,"metadata":{"name":%q%s}%s}`, kind, name, ns, extra))
}

func jsonPatchOps(n int) []byte {
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"op":"add","path":"/metadata/annotations/a%d","value":"x"}`, i)
	}
	b.WriteString("]")
	return []byte(b.String())
}

// TestBadInput sends malformed, invalid and unauthorized requests and
// checks each gets the right 4xx (or 5xx) metav1.Status and changes
// nothing stored.
func TestBadInput(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	createNamespace(t, s, "bad")
	if _, err := s.Client.CoreV1().ConfigMaps("bad").Create(ctx, cm("existing"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deployRes, _ := api.Lookup(appsv1.SchemeGroupVersion.WithResource("deployments"))
	dep := &appsv1.Deployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(fixture(t, deployRes, "bad", "existing").Object, dep); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Client.AppsV1().Deployments("bad").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	admin := newRawClient(t, s, s.RESTConfig)
	anonCfg := rest.AnonymousClientConfig(s.RESTConfig)
	anon := newRawClient(t, s, anonCfg)

	const (
		cms    = "/api/v1/namespaces/bad/configmaps"
		cmPath = cms + "/existing"
		deploy = "/apis/apps/v1/namespaces/bad/deployments/existing"
		jsonCT = "application/json"
	)
	big := cmJSON("big", "", "ConfigMap", `,"data":{"k":"`+strings.Repeat("x", 4<<20)+`"}`)
	cases := []struct {
		name         string
		client       *rawClient
		method, path string
		contentType  string
		body         []byte
		code         int
		reason       metav1.StatusReason
		// check inspects the response further (message, causes, headers).
		check func(t *testing.T, r rawResponse)
		// creates: the request is accepted and creates this ConfigMap.
		creates string
	}{
		{name: "malformed JSON", method: "POST", path: cms, contentType: jsonCT,
			body: []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"`), code: 400, reason: metav1.StatusReasonBadRequest},
		{name: "malformed YAML", method: "POST", path: cms, contentType: "application/yaml",
			body: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n data: {"), code: 400, reason: metav1.StatusReasonBadRequest},
		{name: "wrong kind for path", method: "POST", path: cms, contentType: jsonCT,
			body: cmJSON("x", "", "Secret", ""), code: 400, reason: metav1.StatusReasonBadRequest},
		{name: "wrong apiVersion for path", method: "POST", path: cms, contentType: jsonCT,
			body: []byte(`{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}`), code: 400, reason: metav1.StatusReasonBadRequest},
		{name: "namespace in body differs from path", method: "POST", path: cms, contentType: jsonCT,
			body: cmJSON("x", "other", "ConfigMap", ""), code: 400, reason: metav1.StatusReasonBadRequest},
		{name: "name in body differs from path", method: "PUT", path: cmPath, contentType: jsonCT,
			body: cmJSON("other", "bad", "ConfigMap", ""), code: 400, reason: metav1.StatusReasonBadRequest},
		{name: "unknown field, Strict", method: "POST", path: cms + "?fieldValidation=Strict", contentType: jsonCT,
			body: cmJSON("x", "", "ConfigMap", `,"bogusField":1`), code: 400, reason: metav1.StatusReasonBadRequest,
			check: func(t *testing.T, r rawResponse) {
				if !strings.Contains(r.status.Message, "bogusField") {
					t.Errorf("message does not name the field: %q", r.status.Message)
				}
			}},
		{name: "unknown field in patch, Strict", method: "PATCH", path: cmPath + "?fieldValidation=Strict", contentType: "application/merge-patch+json",
			body: []byte(`{"bogusField":1}`), code: 400, reason: metav1.StatusReasonBadRequest},
		{name: "deleting the default namespace", method: "DELETE", path: "/api/v1/namespaces/default",
			code: 403, reason: metav1.StatusReasonForbidden,
			check: func(t *testing.T, r rawResponse) {
				if r.status.Message != `namespaces "default" is forbidden: this namespace may not be deleted` {
					t.Errorf("message = %q", r.status.Message)
				}
			}},
		{name: "duplicate key in apply patch, Strict", method: "PATCH", path: cms + "/applied?fieldManager=t&fieldValidation=Strict",
			contentType: "application/apply-patch+yaml",
			body:        []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  foo: a\n  foo: b\n"),
			code:        400, reason: metav1.StatusReasonBadRequest,
			check: func(t *testing.T, r rawResponse) {
				if !strings.Contains(r.status.Message, `line 7: key "foo" already set in map`) {
					t.Errorf("message = %q, want upstream's duplicate-key error", r.status.Message)
				}
			}},
		{name: "duplicate key in apply patch, Warn", method: "PATCH", path: cms + "/applied?fieldManager=t&fieldValidation=Warn",
			contentType: "application/apply-patch+yaml",
			body:        []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  foo: a\n  foo: b\n"),
			code:        201, creates: "applied",
			check: func(t *testing.T, r rawResponse) {
				if w := r.header.Get("Warning"); !strings.Contains(w, `line 7: key \"foo\" already set in map`) {
					t.Errorf("Warning header = %q, want the duplicate key", w)
				}
			}},
		{name: "unknown field, Warn", method: "POST", path: cms + "?fieldValidation=Warn", contentType: jsonCT,
			body: cmJSON("warned", "", "ConfigMap", `,"bogusField":1`), code: 201, creates: "warned",
			check: func(t *testing.T, r rawResponse) {
				if w := r.header.Get("Warning"); !strings.Contains(w, "bogusField") {
					t.Errorf("Warning header = %q, want it to name bogusField", w)
				}
			}},
		{name: "invalid name", method: "POST", path: cms, contentType: jsonCT,
			body: cmJSON("Bad_Name", "", "ConfigMap", ""), code: 422, reason: metav1.StatusReasonInvalid,
			check: wantCause("metadata.name")},
		{name: "invalid label", method: "POST", path: cms, contentType: jsonCT,
			body: []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","labels":{"bad key!":"v"}}}`),
			code: 422, reason: metav1.StatusReasonInvalid, check: wantCause("metadata.labels")},
		{name: "invalid label on update", method: "PATCH", path: cmPath, contentType: "application/merge-patch+json",
			body: []byte(`{"metadata":{"labels":{"ok":"-bad value-"}}}`), code: 422, reason: metav1.StatusReasonInvalid,
			check: wantCause("metadata.labels")},
		{name: "4 MiB body", method: "POST", path: cms, contentType: jsonCT, body: big,
			code: 413, reason: metav1.StatusReasonRequestEntityTooLarge},
		{name: "JSON patch with 20,000 operations", method: "PATCH", path: deploy, contentType: "application/json-patch+json",
			body: jsonPatchOps(20000), code: 413, reason: metav1.StatusReasonRequestEntityTooLarge},
		{name: "JSON patch test op without value on the root", method: "PATCH", path: deploy, contentType: "application/json-patch+json",
			body: []byte(`[{"op":"test","path":""}]`), code: 422, reason: metav1.StatusReasonInvalid},
		{name: "unsupported patch type", method: "PATCH", path: cmPath, contentType: "application/xml",
			body: []byte(`<x/>`), code: 415, reason: metav1.StatusReasonUnsupportedMediaType},
		{name: "unknown resource", method: "GET", path: "/api/v1/namespaces/bad/widgets",
			code: 404, reason: metav1.StatusReasonNotFound},
		{name: "unknown group", method: "GET", path: "/apis/example.com/v1/widgets",
			code: 404, reason: metav1.StatusReasonNotFound},
		{name: "unsupported field selector", method: "GET", path: cms + "?fieldSelector=spec.nodeName%3Dx",
			code: 400, reason: metav1.StatusReasonBadRequest},
		{name: "unparsable label selector", method: "GET", path: cms + "?labelSelector=a%20in%20(",
			code: 400, reason: metav1.StatusReasonBadRequest},
		{name: "future resourceVersion", method: "GET", path: cms + "?resourceVersion=999999999&resourceVersionMatch=NotOlderThan",
			code: 504, reason: metav1.StatusReasonTimeout, check: wantCauseType(metav1.CauseTypeResourceVersionTooLarge)},
		{name: "future resourceVersion on get", method: "GET", path: cmPath + "?resourceVersion=999999999",
			code: 504, reason: metav1.StatusReasonTimeout, check: wantCauseType(metav1.CauseTypeResourceVersionTooLarge)},
		// Strict parameters, as upstream's handlers check them.
		{name: "malformed resourceVersion on list", method: "GET", path: cms + "?resourceVersion=abc",
			code: 400, reason: metav1.StatusReasonBadRequest},
		{name: "malformed resourceVersion on get", method: "GET", path: cmPath + "?resourceVersion=abc",
			code: 400, reason: metav1.StatusReasonBadRequest},
		{name: "malformed resourceVersion on watch", method: "GET", path: cms + "?watch=true&resourceVersion=-1",
			code: 400, reason: metav1.StatusReasonBadRequest},
		{name: "unknown resourceVersionMatch", method: "GET", path: cms + "?resourceVersion=1&resourceVersionMatch=Bogus",
			code: 422, reason: metav1.StatusReasonInvalid, check: wantCause("resourceVersionMatch")},
		{name: "resourceVersionMatch without resourceVersion", method: "GET", path: cms + "?resourceVersionMatch=NotOlderThan",
			code: 422, reason: metav1.StatusReasonInvalid, check: wantCause("resourceVersionMatch")},
		{name: "resourceVersionMatch Exact at 0", method: "GET", path: cms + "?resourceVersion=0&resourceVersionMatch=Exact",
			code: 422, reason: metav1.StatusReasonInvalid, check: wantCause("resourceVersionMatch")},
		{name: "sendInitialEvents on a list", method: "GET", path: cms + "?sendInitialEvents=true",
			code: 422, reason: metav1.StatusReasonInvalid, check: wantCause("sendInitialEvents")},
		{name: "resourceVersionMatch on a watch without sendInitialEvents", method: "GET", path: cms + "?watch=true&resourceVersionMatch=NotOlderThan",
			code: 422, reason: metav1.StatusReasonInvalid, check: wantCause("resourceVersionMatch")},
		{name: "malformed timeoutSeconds", method: "GET", path: cms + "?timeoutSeconds=abc",
			code: 400, reason: metav1.StatusReasonBadRequest},
		{name: "negative timeoutSeconds", method: "GET", path: cms + "?watch=true&timeoutSeconds=-5",
			code: 400, reason: metav1.StatusReasonBadRequest},
		{name: "unknown propagationPolicy", method: "DELETE", path: cmPath + "?propagationPolicy=Bogus",
			code: 422, reason: metav1.StatusReasonInvalid, check: wantCause("propagationPolicy")},
		{name: "unknown propagationPolicy in the body", method: "DELETE", path: cmPath, contentType: jsonCT,
			body: []byte(`{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Bogus"}`),
			code: 422, reason: metav1.StatusReasonInvalid, check: wantCause("propagationPolicy")},
		{name: "orphanDependents and propagationPolicy", method: "DELETE", path: cmPath + "?propagationPolicy=Orphan&orphanDependents=true",
			code: 422, reason: metav1.StatusReasonInvalid, check: wantCause("propagationPolicy")},
		{name: "unknown propagationPolicy on a collection", method: "DELETE", path: cms + "?propagationPolicy=Bogus",
			code: 422, reason: metav1.StatusReasonInvalid, check: wantCause("propagationPolicy")},
		{name: "DELETE /version", method: "DELETE", path: "/version",
			code: 405, reason: metav1.StatusReasonMethodNotAllowed},
		{name: "POST /api", method: "POST", path: "/api", contentType: jsonCT, body: []byte(`{}`),
			code: 405, reason: metav1.StatusReasonMethodNotAllowed},
		{name: "PUT on a group's resource list", method: "PUT", path: "/apis/apps/v1", contentType: jsonCT, body: []byte(`{}`),
			code: 405, reason: metav1.StatusReasonMethodNotAllowed},
		{name: "DELETE on an unknown path under /api", method: "DELETE", path: "/api/nothing",
			code: 404, reason: metav1.StatusReasonNotFound},
		{name: "unauthenticated list", client: anon, method: "GET", path: cms,
			code: 401, reason: metav1.StatusReasonUnauthorized},
		{name: "unauthenticated create", client: anon, method: "POST", path: cms, contentType: jsonCT,
			body: cmJSON("x", "", "ConfigMap", ""), code: 401, reason: metav1.StatusReasonUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, s, "bad")
			c := tc.client
			if c == nil {
				c = admin
			}
			r := c.do(t, tc.method, tc.path, tc.contentType, tc.body)
			if r.code != tc.code {
				t.Fatalf("code %d, want %d: %s", r.code, tc.code, truncate(r.body))
			}
			if tc.code >= 400 {
				if r.status.Kind != "Status" || r.status.Status != metav1.StatusFailure || int(r.status.Code) != tc.code {
					t.Errorf("body is not a failure Status with code %d: %s", tc.code, truncate(r.body))
				}
				if r.status.Reason != tc.reason {
					t.Errorf("reason %q, want %q (message %q)", r.status.Reason, tc.reason, r.status.Message)
				}
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			after := snapshot(t, s, "bad")
			if tc.creates != "" {
				if _, ok := after["cm/"+tc.creates]; !ok {
					t.Errorf("%s not created", tc.creates)
				}
				delete(after, "cm/"+tc.creates)
			}
			if !maps.Equal(before, after) {
				t.Errorf("stored objects changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
	if _, err := s.Client.CoreV1().ConfigMaps("bad").Get(ctx, "existing", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
}

func wantCause(field string) func(t *testing.T, r rawResponse) {
	return func(t *testing.T, r rawResponse) {
		t.Helper()
		if r.status.Details == nil {
			t.Fatalf("no details/causes: %s", truncate(r.body))
		}
		for _, c := range r.status.Details.Causes {
			if strings.HasPrefix(c.Field, field) {
				return
			}
		}
		t.Errorf("no cause on %s: %+v", field, r.status.Details.Causes)
	}
}

func wantCauseType(typ metav1.CauseType) func(t *testing.T, r rawResponse) {
	return func(t *testing.T, r rawResponse) {
		t.Helper()
		if r.status.Details != nil {
			for _, c := range r.status.Details.Causes {
				if c.Type == typ {
					return
				}
			}
		}
		t.Errorf("no cause %s: %s", typ, truncate(r.body))
	}
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
