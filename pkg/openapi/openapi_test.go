package openapi

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	goruntime "runtime"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/openapi3"
	"k8s.io/client-go/rest"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/util/proto"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/tinykube/tinykube/pkg/api"
)

func newServer(t *testing.T) (*httptest.Server, *discovery.DiscoveryClient) {
	t.Helper()
	h, err := NewHandler(api.Resources)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	dc, err := discovery.NewDiscoveryClientForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return srv, dc
}

// supportsFieldValidationV3 is kubectl's --validate=strict check
// (cli-runtime query_param_verifier_v3.go): some PATCH operation tagged with
// the kind must list the fieldValidation query parameter.
func supportsFieldValidationV3(doc *spec3.OpenAPI, gvk schema.GroupVersionKind) error {
	for _, path := range doc.Paths.Paths {
		if path == nil || path.Patch == nil {
			continue
		}
		ext, ok := path.Patch.Extensions[extGVK].(map[string]interface{})
		if !ok || ext["group"] != gvk.Group || ext["version"] != gvk.Version || ext["kind"] != gvk.Kind {
			continue
		}
		for _, p := range path.Patch.Parameters {
			if p.Name == "fieldValidation" {
				return nil
			}
		}
		return fmt.Errorf("PATCH of %v has no fieldValidation parameter", gvk)
	}
	return fmt.Errorf("no PATCH operation for %v", gvk)
}

func TestKubectlFieldValidationCheckV3(t *testing.T) {
	_, dc := newServer(t)
	root := openapi3.NewRoot(dc.OpenAPIV3())
	gvs, err := root.GroupVersions()
	if err != nil {
		t.Fatal(err)
	}
	if len(gvs) != len(NewBuilder(api.Scheme, api.Resources).GroupVersions()) {
		t.Errorf("v3 discovery lists %v", gvs)
	}
	for _, r := range api.Resources {
		hasPatch := false
		for _, v := range r.Verbs {
			hasPatch = hasPatch || v == "patch"
		}
		if !hasPatch {
			continue
		}
		doc, err := root.GVSpec(r.GroupVersion)
		if err != nil {
			t.Fatalf("%v: %v", r.GroupVersion, err)
		}
		if err := supportsFieldValidationV3(doc, r.GVK()); err != nil {
			t.Error(err)
		}
	}
}

// TestKubectlExplainV2 reads /openapi/v2 as protobuf the way kubectl's
// fallback and `kubectl explain` (v2 mode) do, and walks a field path.
func TestKubectlExplainV2(t *testing.T) {
	_, dc := newServer(t)
	doc, err := dc.OpenAPISchema()
	if err != nil {
		t.Fatal(err)
	}
	models, err := proto.NewOpenAPIData(doc)
	if err != nil {
		t.Fatal(err)
	}
	model := models.LookupModel("io.k8s.api.apps.v1.Deployment")
	if model == nil {
		t.Fatal("no io.k8s.api.apps.v1.Deployment model")
	}
	for _, field := range []string{"spec", "strategy", "rollingUpdate", "maxSurge"} {
		kind, ok := model.(*proto.Kind)
		if !ok {
			t.Fatalf("%s: %T is not an object", field, model)
		}
		next, ok := kind.Fields[field]
		if !ok {
			t.Fatalf("no field %q in %s", field, kind.GetPath())
		}
		if ref, ok := next.(proto.Reference); ok {
			next = ref.SubSchema()
		}
		model = next
	}
	// The GVK extension lets kubectl map kinds to models.
	gvkModel := models.LookupModel("io.k8s.api.apps.v1.Deployment")
	if _, ok := gvkModel.GetExtensions()[extGVK]; !ok {
		t.Error("Deployment has no x-kubernetes-group-version-kind")
	}
}

func TestServeContentTypes(t *testing.T) {
	srv, _ := newServer(t)
	// kube-openapi (like kube-apiserver) answers protobuf with the
	// deprecated ".v1.0" spelling whichever spelling was asked for.
	const (
		v2Proto = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
		v3Proto = "application/com.github.proto-openapi.spec.v3.v1.0+protobuf"
	)
	for _, tc := range []struct {
		path, accept, wantType string
		wantCode               int
	}{
		{"/openapi/v2", "application/json", "application/json", 200},
		{"/openapi/v2", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf", v2Proto, 200},
		{"/openapi/v2", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf", v2Proto, 200},
		{"/openapi/v3", "application/json", "application/json", 200},
		{"/openapi/v3/apis/apps/v1", "application/json", "application/json", 200},
		{"/openapi/v3/api/v1", "application/com.github.proto-openapi.spec.v3@v1.0+protobuf", v3Proto, 200},
		{"/openapi/v3/apis/nope/v1", "application/json", "", 404},
	} {
		req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
		req.Header.Set("Accept", tc.accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.wantCode {
			t.Errorf("%s %s: status %d", tc.path, tc.accept, resp.StatusCode)
			continue
		}
		if tc.wantCode != 200 {
			continue
		}
		if got := resp.Header.Get("Content-Type"); got != tc.wantType {
			t.Errorf("%s %s: Content-Type %q, want %q", tc.path, tc.accept, got, tc.wantType)
		}
		if len(body) == 0 || resp.Header.Get("Etag") == "" {
			t.Errorf("%s %s: empty body or no ETag", tc.path, tc.accept)
		}
	}
}

func TestV3HashIsImmutable(t *testing.T) {
	_, dc := newServer(t)
	paths, err := dc.OpenAPIV3().Paths()
	if err != nil {
		t.Fatal(err)
	}
	gv, ok := paths["apis/apps/v1"]
	if !ok {
		t.Fatalf("no apis/apps/v1 in %v", paths)
	}
	if _, err := gv.Schema("application/json"); err != nil {
		t.Fatal(err)
	}
	srv, _ := newServer(t)
	resp, err := http.Get(srv.URL + "/openapi/v3")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"serverRelativeURL":"/openapi/v3/apis/apps/v1?hash=`) {
		t.Errorf("discovery: %s", body)
	}
}

// TestEveryResourceIsDescribed: every served kind has a definition tagged
// with its GVK, and the paths its verbs need.
func TestEveryResourceIsDescribed(t *testing.T) {
	sw, err := NewBuilder(api.Scheme, api.Resources).BuildV2()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range api.Resources {
		def, ok := sw.Definitions[modelName(t, r.GVK())]
		if !ok {
			t.Errorf("%v: no definition", r.GVK())
			continue
		}
		if !hasGVK(def, r.GVK()) {
			t.Errorf("%v: definition lacks x-kubernetes-group-version-kind", r.GVK())
		}
		collection := gvPath(r.GroupVersion) + "/" + r.Name
		if r.Namespaced {
			collection = gvPath(r.GroupVersion) + "/namespaces/{namespace}/" + r.Name
		}
		for _, verb := range r.Verbs {
			path := map[string]string{"get": collection + "/{name}", "update": collection + "/{name}",
				"patch": collection + "/{name}", "delete": collection + "/{name}"}[verb]
			if path == "" {
				path = collection
			}
			if _, ok := sw.Paths.Paths[path]; !ok {
				t.Errorf("%v %s: no path %s", r.GVK(), verb, path)
			}
		}
		for _, s := range r.Subresources {
			if _, ok := sw.Paths.Paths[collection+"/{name}/"+s.Name]; !ok {
				t.Errorf("%v: no path for subresource %s", r.GVK(), s.Name)
			}
			if _, ok := sw.Definitions[modelName(t, s.Kind)]; !ok {
				t.Errorf("%v/%s: no definition for %v", r.GVK(), s.Name, s.Kind)
			}
		}
	}
	// Spot-check upstream's operation layout.
	item := sw.Paths.Paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
	if item.Patch == nil || item.Patch.ID != "patchAppsV1NamespacedDeployment" || item.Patch.Extensions[extAction] != "patch" {
		t.Errorf("deployment PATCH: %+v", item.Patch)
	}
	if op := sw.Paths.Paths["/api/v1/pods"].Get; op == nil || op.ID != "listCoreV1PodForAllNamespaces" {
		t.Errorf("all-namespaces pod list: %+v", op)
	}
	if op := sw.Paths.Paths["/apis/rbac.authorization.k8s.io/v1/clusterroles"].Delete; op == nil ||
		op.ID != "deleteRbacAuthorizationV1CollectionClusterRole" || op.Tags[0] != "rbacAuthorization_v1" {
		t.Errorf("clusterrole deletecollection: %+v", op)
	}
}

func modelName(t *testing.T, gvk schema.GroupVersionKind) string {
	t.Helper()
	obj, err := api.Scheme.New(gvk)
	if err != nil {
		t.Fatal(err)
	}
	return obj.(interface{ OpenAPIModelName() string }).OpenAPIModelName()
}

func hasGVK(s spec.Schema, gvk schema.GroupVersionKind) bool {
	list, _ := s.Extensions[extGVK].([]interface{})
	for _, e := range list {
		m, _ := e.(map[string]interface{})
		if m["group"] == gvk.Group && m["version"] == gvk.Version && m["kind"] == gvk.Kind {
			return true
		}
	}
	return false
}

// TestSchemasFeedServerSideApply: managedfields builds a type converter from
// the schemas, and it knows every served kind.
func TestSchemasFeedServerSideApply(t *testing.T) {
	schemas, err := NewBuilder(api.Scheme, api.Resources).Schemas()
	if err != nil {
		t.Fatal(err)
	}
	tc, err := managedfields.NewTypeConverter(schemas, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range api.Resources {
		obj, err := api.Scheme.New(r.GVK())
		if err != nil {
			t.Fatal(err)
		}
		obj.GetObjectKind().SetGroupVersionKind(r.GVK())
		if _, err := tc.ObjectToTyped(obj); err != nil {
			t.Errorf("%v: %v", r.GVK(), err)
		}
	}
}

// BenchmarkBuild measures what server start pays (NewHandler) and what
// building the v2 document and all v3 documents costs (JSON marshalling
// excluded).
func BenchmarkBuild(b *testing.B) {
	bl := NewBuilder(api.Scheme, api.Resources)
	b.Run("NewHandler", func(b *testing.B) { // paid at server start
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := NewHandler(api.Resources); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("v2", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := bl.BuildV2(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("v3", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := bl.BuildV3(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFirstRequests measures a fresh handler answering its first
// requests, and the heap the handler keeps afterwards (MB-retained):
//   - kubectl-apply: /openapi/v3 discovery and apis/apps/v1 as JSON, what
//     `kubectl apply --validate=strict` of a Deployment fetches;
//   - all: also /openapi/v2 as protobuf and every group version as JSON
//     and protobuf.
func BenchmarkFirstRequests(b *testing.B) {
	type request struct{ path, accept string }
	const (
		jsonType = "application/json"
		v3Proto  = "application/com.github.proto-openapi.spec.v3@v1.0+protobuf"
	)
	kubectl := []request{{V3Path, jsonType}, {v3PathPrefix + "apis/apps/v1", jsonType}}
	all := append([]request{{V2Path, "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"}}, kubectl...)
	for _, gv := range NewBuilder(api.Scheme, api.Resources).GroupVersions() {
		all = append(all, request{v3PathPrefix + GroupVersionPath(gv), jsonType}, request{v3PathPrefix + GroupVersionPath(gv), v3Proto})
	}
	for _, bc := range []struct {
		name     string
		requests []request
	}{{"kubectl-apply", kubectl}, {"all", all}} {
		b.Run(bc.name, func(b *testing.B) {
			var retained uint64
			for i := 0; i < b.N; i++ {
				var before, after goruntime.MemStats
				goruntime.GC()
				goruntime.ReadMemStats(&before)
				h, err := NewHandler(api.Resources)
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range bc.requests {
					req := httptest.NewRequest("GET", r.path, nil)
					req.Header.Set("Accept", r.accept)
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Fatalf("%s: %d", r.path, w.Code)
					}
				}
				goruntime.GC()
				goruntime.ReadMemStats(&after)
				retained += after.HeapAlloc - before.HeapAlloc
				goruntime.KeepAlive(h)
			}
			b.ReportMetric(float64(retained)/float64(b.N)/(1<<20), "MB-retained")
		})
	}
}

func TestV3Gzip(t *testing.T) {
	srv, _ := newServer(t)
	req, _ := http.NewRequest("GET", srv.URL+"/openapi/v3/api/v1", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("status %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
}
