package openapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"sigs.k8s.io/yaml"

	"github.com/tinykube/tinykube/pkg/api"
)

// cronTabYAML exercises what the conversion must get right: nested
// objects, arrays of objects (a list map), int-or-string, preserved
// unknown fields, nullable, an embedded resource, enum and default, a
// oneOf, status and scale subresources, two served versions and one that
// is not served.
const cronTabYAML = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
  uid: 11111111-1111-1111-1111-111111111111
  resourceVersion: "1"
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, listKind: CronTabList, shortNames: [ct]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas, labelSelectorPath: .status.selector}
    selectableFields:
    - jsonPath: .spec.cronSpec
    schema:
      openAPIV3Schema:
        type: object
        description: CronTab runs a command on a schedule.
        properties:
          spec:
            type: object
            description: The desired schedule.
            required: [cronSpec, note]
            oneOf:
            - required: [image]
            - required: [command]
            properties:
              cronSpec: {type: string, description: A cron expression.}
              image: {type: string}
              command: {type: string}
              replicas: {type: integer, minimum: 1, default: 1}
              mode: {type: string, enum: [Fast, Slow]}
              note: {type: string, nullable: true}
              maxSurge: {x-kubernetes-int-or-string: true, description: Pods over replicas.}
              extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
              template:
                type: object
                x-kubernetes-embedded-resource: true
                properties:
                  spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
              schedule:
                type: object
                properties:
                  window:
                    type: object
                    properties:
                      start: {type: string, format: date-time}
                      days: {type: array, items: {type: string}}
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    port: {type: integer, format: int32}
              labels:
                type: object
                additionalProperties: {type: string}
          status:
            type: object
            properties:
              replicas: {type: integer}
              selector: {type: string}
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              cronSpec: {type: string}
  - name: v1alpha1
    served: false
    storage: false
    schema:
      openAPIV3Schema: {type: object}
`

func sampleCRD(t testing.TB) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict([]byte(cronTabYAML), crd); err != nil {
		t.Fatal(err)
	}
	return crd
}

// simpleCRD is a cluster-scoped CRD with a minimal schema, in group.
func simpleCRD(group, kind, plural string) *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + "." + group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: group, Scope: apiextensionsv1.ClusterScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: plural, Kind: kind, ListKind: kind + "List"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{"size": {Type: "integer"}}},
					},
				}},
			}},
		},
	}
}

var cronTabGVK = schema.GroupVersionKind{Group: "stable.example.com", Version: "v1", Kind: "CronTab"}

func newCRDServer(t *testing.T) (*Handler, *httptest.Server, *discovery.DiscoveryClient) {
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
	return h, srv, dc
}

func get(t *testing.T, url, accept string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func getV2(t *testing.T, srv *httptest.Server) (*spec.Swagger, string) {
	t.Helper()
	resp, body := get(t, srv.URL+V2Path, "application/json")
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", V2Path, resp.StatusCode, body)
	}
	sw := &spec.Swagger{}
	if err := json.Unmarshal(body, sw); err != nil {
		t.Fatal(err)
	}
	return sw, resp.Header.Get("Etag")
}

func getV3(t *testing.T, srv *httptest.Server, gvPath string) *spec3.OpenAPI {
	t.Helper()
	resp, body := get(t, srv.URL+v3PathPrefix+gvPath, "application/json")
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", gvPath, resp.StatusCode, body)
	}
	doc := &spec3.OpenAPI{}
	if err := json.Unmarshal(body, doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// v3Index returns /openapi/v3's serverRelativeURL per group version.
func v3Index(t *testing.T, srv *httptest.Server) map[string]string {
	t.Helper()
	_, body := get(t, srv.URL+V3Path, "application/json")
	var index struct {
		Paths map[string]struct {
			ServerRelativeURL string `json:"serverRelativeURL"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(body, &index); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range index.Paths {
		out[k] = v.ServerRelativeURL
	}
	return out
}

// danglingRefs lists the $refs of doc (JSON) to a definition or schema
// that name none.
func danglingRefs(t *testing.T, doc interface{}, prefix string, defined func(string) bool) []string {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var v interface{}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(interface{})
	walk = func(v interface{}) {
		switch v := v.(type) {
		case map[string]interface{}:
			if ref, ok := v["$ref"].(string); ok && (strings.HasPrefix(ref, "#/definitions/") || strings.HasPrefix(ref, "#/components/schemas/")) {
				if !strings.HasPrefix(ref, prefix) || !defined(strings.TrimPrefix(ref, prefix)) {
					out = append(out, ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []interface{}:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

func gvkList(s spec.Schema) []interface{} {
	list, _ := s.Extensions[extGVK].([]interface{})
	return list
}

func hasGVKExt(s spec.Schema, gvk schema.GroupVersionKind) bool {
	for _, e := range gvkList(s) {
		m, _ := e.(map[string]interface{})
		if m["group"] == gvk.Group && m["version"] == gvk.Version && m["kind"] == gvk.Kind {
			return true
		}
	}
	return false
}

func typeOf(s spec.Schema) string {
	if len(s.Type) == 0 {
		return ""
	}
	return s.Type[0]
}
