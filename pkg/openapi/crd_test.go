package openapi

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/openapi3"
	"k8s.io/kube-openapi/pkg/util/proto"
	"k8s.io/kube-openapi/pkg/validation/spec"
	explainv2 "k8s.io/kubectl/pkg/explain/v2"

	"github.com/tinykube/tinykube/pkg/api"
)

func TestCustomResourcesV2(t *testing.T) {
	h, srv, _ := newCRDServer(t)
	h.SetCustomResources([]*apiextensionsv1.CustomResourceDefinition{sampleCRD(t)})
	sw, _ := getV2(t, srv)

	for _, name := range []string{"com.example.stable.v1.CronTab", "com.example.stable.v1.CronTabList",
		"com.example.stable.v1beta1.CronTab", "com.example.stable.v1beta1.CronTabList"} {
		if _, ok := sw.Definitions[name]; !ok {
			t.Errorf("no definition %s", name)
		}
	}
	if _, ok := sw.Definitions["com.example.stable.v1alpha1.CronTab"]; ok {
		t.Error("the unserved v1alpha1 is published")
	}
	if _, ok := sw.Definitions["io.k8s.api.apps.v1.Deployment"]; !ok {
		t.Error("built-in definitions are gone")
	}
	if refs := danglingRefs(t, sw, "#/definitions/", func(n string) bool { _, ok := sw.Definitions[n]; return ok }); len(refs) > 0 {
		t.Errorf("dangling references: %v", refs)
	}
	for path, item := range sw.Paths.Paths {
		for _, p := range item.Parameters {
			if ref := p.Ref.String(); ref != "" {
				if _, ok := sw.Parameters[strings.TrimPrefix(ref, "#/parameters/")]; !ok {
					t.Errorf("%s: dangling parameter %s", path, ref)
				}
			}
		}
	}

	ct := sw.Definitions["com.example.stable.v1.CronTab"]
	if !hasGVKExt(ct, cronTabGVK) || !hasGVKExt(sw.Definitions["com.example.stable.v1.CronTabList"], cronTabGVK.GroupVersion().WithKind("CronTabList")) {
		t.Errorf("GVK extensions: %v / %v", ct.Extensions, sw.Definitions["com.example.stable.v1.CronTabList"].Extensions)
	}
	if ct.Description != "CronTab runs a command on a schedule." {
		t.Errorf("description %q", ct.Description)
	}
	if md := ct.Properties["metadata"]; md.Ref.String() != "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" {
		t.Errorf("metadata $ref %q", md.Ref.String())
	}
	if typeOf(ct.Properties["apiVersion"]) != "string" || typeOf(ct.Properties["kind"]) != "string" {
		t.Errorf("apiVersion/kind: %+v %+v", ct.Properties["apiVersion"], ct.Properties["kind"])
	}
	if f, _ := ct.Extensions[extSelectableFields].([]interface{}); len(f) != 1 {
		t.Errorf("selectable fields: %v", ct.Extensions[extSelectableFields])
	}

	specSchema := ct.Properties["spec"]
	props := specSchema.Properties
	if len(specSchema.OneOf) != 0 {
		t.Error("v2 keeps oneOf")
	}
	// nullable: no type, and not required any more.
	if note := props["note"]; typeOf(note) != "" || note.Nullable {
		t.Errorf("nullable note: %+v", note)
	}
	if strings.Join(specSchema.Required, ",") != "cronSpec" {
		t.Errorf("required %v", specSchema.Required)
	}
	// int-or-string: untyped, no anyOf, extension kept.
	if ms := props["maxSurge"]; typeOf(ms) != "" || len(ms.AnyOf) != 0 || ms.Extensions[extIntOrString] != true {
		t.Errorf("int-or-string: %+v", ms)
	}
	// preserve-unknown-fields object: untyped.
	if extra := props["extra"]; typeOf(extra) != "" || extra.Extensions[extPreserveUnknownFields] != true {
		t.Errorf("preserved object: %+v", extra)
	}
	// embedded resource: apiVersion, kind, metadata added and required.
	tmpl := props["template"]
	if _, ok := tmpl.Properties["metadata"]; !ok || strings.Join(tmpl.Required, ",") != "kind,apiVersion" {
		t.Errorf("embedded resource: %+v required %v", tmpl.Properties, tmpl.Required)
	}
	if r := props["replicas"]; r.Minimum == nil || *r.Minimum != 1 || r.Default != nil {
		t.Errorf("replicas (minimum kept, default pruned): %+v", r)
	}
	days := props["schedule"].Properties["window"].Properties["days"]
	if typeOf(days) != "array" || days.Items == nil || typeOf(*days.Items.Schema) != "string" {
		t.Errorf("nested array: %+v", days)
	}
	ports := props["ports"]
	if ports.Extensions["x-kubernetes-list-type"] != "map" || typeOf(ports.Items.Schema.Properties["port"]) != "integer" {
		t.Errorf("ports: %+v", ports)
	}
	if l := props["labels"]; l.AdditionalProperties == nil || typeOf(*l.AdditionalProperties.Schema) != "string" {
		t.Errorf("labels: %+v", l)
	}

	// Paths and operations, with upstream's operation IDs.
	ns := "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs"
	for path, want := range map[string]map[string]string{
		"/apis/stable.example.com/v1/crontabs": {"GET": "listStableExampleComV1CronTabForAllNamespaces"},
		ns: {"GET": "listStableExampleComV1NamespacedCronTab", "POST": "createStableExampleComV1NamespacedCronTab",
			"DELETE": "deleteStableExampleComV1CollectionNamespacedCronTab"},
		ns + "/{name}": {"GET": "readStableExampleComV1NamespacedCronTab", "PUT": "replaceStableExampleComV1NamespacedCronTab",
			"PATCH": "patchStableExampleComV1NamespacedCronTab", "DELETE": "deleteStableExampleComV1NamespacedCronTab"},
		ns + "/{name}/status": {"GET": "readStableExampleComV1NamespacedCronTabStatus",
			"PUT": "replaceStableExampleComV1NamespacedCronTabStatus", "PATCH": "patchStableExampleComV1NamespacedCronTabStatus"},
		ns + "/{name}/scale": {"GET": "readStableExampleComV1NamespacedCronTabScale",
			"PUT": "replaceStableExampleComV1NamespacedCronTabScale", "PATCH": "patchStableExampleComV1NamespacedCronTabScale"},
		"/apis/stable.example.com/v1beta1/namespaces/{namespace}/crontabs/{name}": {"GET": "readStableExampleComV1beta1NamespacedCronTab"},
	} {
		item, ok := sw.Paths.Paths[path]
		if !ok {
			t.Errorf("no path %s", path)
			continue
		}
		ops := map[string]*spec.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete}
		for method, id := range want {
			op := ops[method]
			if op == nil || op.ID != id {
				t.Errorf("%s %s: %+v, want %s", method, path, op, id)
				continue
			}
			if op.Tags[0] != "stableExampleCom_v1" && !strings.Contains(path, "v1beta1") {
				t.Errorf("%s %s: tags %v", method, path, op.Tags)
			}
			if ext, _ := op.Extensions[extGVK].(map[string]interface{}); ext["kind"] != "CronTab" {
				t.Errorf("%s %s: GVK extension %v", method, path, op.Extensions[extGVK])
			}
		}
	}
	if _, ok := sw.Paths.Paths["/apis/stable.example.com/v1beta1/namespaces/{namespace}/crontabs/{name}/status"]; ok {
		t.Error("v1beta1 has no status subresource")
	}
	scale := sw.Paths.Paths[ns+"/{name}/scale"].Get.Responses.StatusCodeResponses[200].Schema.Ref.String()
	if scale != "#/definitions/io.k8s.api.autoscaling.v1.Scale" {
		t.Errorf("scale response %s", scale)
	}
}

func TestCustomResourcesV3(t *testing.T) {
	h, srv, dc := newCRDServer(t)
	h.SetCustomResources([]*apiextensionsv1.CustomResourceDefinition{sampleCRD(t)})
	doc := getV3(t, srv, "apis/stable.example.com/v1")
	schemas := doc.Components.Schemas
	if refs := danglingRefs(t, doc, "#/components/schemas/", func(n string) bool { _, ok := schemas[n]; return ok }); len(refs) > 0 {
		t.Errorf("dangling references: %v", refs)
	}
	if _, ok := schemas["com.example.stable.v1beta1.CronTab"]; ok {
		t.Error("v1beta1 leaked into the v1 document")
	}
	ct := schemas["com.example.stable.v1.CronTab"]
	if ct == nil || !hasGVKExt(*ct, cronTabGVK) {
		t.Fatalf("CronTab: %+v", ct)
	}
	props := ct.Properties["spec"].Properties
	if len(ct.Properties["spec"].OneOf) != 2 {
		t.Errorf("v3 drops oneOf: %+v", ct.Properties["spec"])
	}
	if note := props["note"]; typeOf(note) != "string" || !note.Nullable {
		t.Errorf("nullable: %+v", note)
	}
	if ms := props["maxSurge"]; len(ms.AnyOf) != 2 || typeOf(ms.AnyOf[0]) != "integer" || typeOf(ms.AnyOf[1]) != "string" {
		t.Errorf("int-or-string: %+v", ms)
	}
	if extra := props["extra"]; typeOf(extra) != "object" {
		t.Errorf("preserved object: %+v", extra)
	}
	if r := props["replicas"]; r.Default != float64(1) {
		t.Errorf("v3 keeps defaults: %+v", r.Default)
	}
	// metadata is a wrapped reference (allOf) with a description.
	if md := ct.Properties["metadata"]; len(md.AllOf) != 1 || md.AllOf[0].Ref.String() != "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" {
		t.Errorf("metadata: %+v", md)
	}
	if err := supportsFieldValidationV3(doc, cronTabGVK); err != nil {
		t.Error(err)
	}

	// kubectl's openapi3 client resolves it too.
	root := openapi3.NewRoot(dc.OpenAPIV3())
	if _, err := root.GVSpec(cronTabGVK.GroupVersion()); err != nil {
		t.Error(err)
	}
}

// TestKubectlExplainCustomResource runs kubectl explain's v3 renderer (what
// `kubectl explain crontabs.spec.schedule` prints) against the server.
func TestKubectlExplainCustomResource(t *testing.T) {
	h, _, dc := newCRDServer(t)
	h.SetCustomResources([]*apiextensionsv1.CustomResourceDefinition{sampleCRD(t)})
	gvr := cronTabGVK.GroupVersion().WithResource("crontabs")
	for _, tc := range []struct {
		path []string
		want []string
	}{
		{nil, []string{"KIND:       CronTab", "VERSION:    v1", "CronTab runs a command on a schedule.", "metadata\t<ObjectMeta>", "spec\t<Object>"}},
		{[]string{"spec"}, []string{"FIELD: spec <Object>", "The desired schedule.", "cronSpec\t<string> -required-", "maxSurge\t<Object>", "ports\t<[]Object>"}},
		{[]string{"spec", "schedule", "window"}, []string{"FIELD: window <Object>", "days\t<[]string>", "start\t<string>"}},
		{[]string{"spec", "ports", "port"}, []string{"FIELD: port <integer>"}},
	} {
		var out bytes.Buffer
		if err := explainv2.PrintModelDescription(tc.path, &out, dc.OpenAPIV3(), gvr, false, 0, "plaintext"); err != nil {
			t.Errorf("explain %v: %v", tc.path, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("explain %v: no %q in\n%s", tc.path, w, out.String())
			}
		}
	}
	var out bytes.Buffer
	err := explainv2.PrintModelDescription([]string{"spec", "nope"}, &out, dc.OpenAPIV3(), gvr, false, 0, "plaintext")
	if err == nil || !strings.Contains(err.Error(), `field "nope" does not exist`) {
		t.Errorf("explain of a missing field: %v", err)
	}
}

// TestCustomResourcesV2Protobuf decodes /openapi/v2 as protobuf into
// kube-openapi's proto models, as kubectl does, and walks a CronTab field.
func TestCustomResourcesV2Protobuf(t *testing.T) {
	h, _, dc := newCRDServer(t)
	h.SetCustomResources([]*apiextensionsv1.CustomResourceDefinition{sampleCRD(t)})
	doc, err := dc.OpenAPISchema()
	if err != nil {
		t.Fatal(err)
	}
	models, err := proto.NewOpenAPIData(doc)
	if err != nil {
		t.Fatal(err)
	}
	model := models.LookupModel("com.example.stable.v1.CronTab")
	if model == nil {
		t.Fatal("no CronTab model")
	}
	if _, ok := model.GetExtensions()[extGVK]; !ok {
		t.Error("CronTab model has no x-kubernetes-group-version-kind")
	}
	for _, field := range []string{"spec", "schedule", "window", "days"} {
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
	if arr, ok := model.(*proto.Array); !ok || arr.SubType.(*proto.Primitive).Type != "string" {
		t.Errorf("days: %#v", model)
	}
	meta := models.LookupModel("com.example.stable.v1.CronTab").(*proto.Kind).Fields["metadata"]
	if ref, ok := meta.(proto.Reference); !ok || ref.Reference() != "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" {
		t.Errorf("metadata: %#v", meta)
	}
}

// TestCustomResourcesComeAndGo: adding, changing and withdrawing CRDs
// changes /openapi/v3's hashes and /openapi/v2's ETag, and only then.
func TestCustomResourcesComeAndGo(t *testing.T) {
	h, srv, _ := newCRDServer(t)
	const gvPath = "apis/stable.example.com/v1"
	before := v3Index(t, srv)
	_, etag0 := getV2(t, srv)
	if _, ok := before[gvPath]; ok {
		t.Fatalf("%s listed before any CRD", gvPath)
	}

	crd := sampleCRD(t)
	h.SetCustomResources([]*apiextensionsv1.CustomResourceDefinition{crd})
	added := v3Index(t, srv)
	url1, ok := added[gvPath]
	if !ok || !strings.Contains(url1, "?hash=") {
		t.Fatalf("%s not listed: %v", gvPath, added)
	}
	if added["apis/apps/v1"] != before["apis/apps/v1"] {
		t.Error("an unrelated group version's hash changed")
	}
	if resp, _ := get(t, srv.URL+url1, "application/json"); resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, immutable" {
		t.Errorf("GET %s: %d %v", url1, resp.StatusCode, resp.Header)
	}
	_, etag1 := getV2(t, srv)
	if etag1 == etag0 {
		t.Error("v2 ETag unchanged by a CRD")
	}

	// The same CRDs again (a new object, as an informer would hand over):
	// nothing changes.
	h.SetCustomResources([]*apiextensionsv1.CustomResourceDefinition{sampleCRD(t)})
	if again := v3Index(t, srv); again[gvPath] != url1 {
		t.Errorf("hash changed without a change: %s → %s", url1, again[gvPath])
	}
	if _, etag := getV2(t, srv); etag != etag1 {
		t.Error("v2 ETag changed without a change")
	}

	// A schema change changes v1's hash (and not v1beta1's).
	changed := sampleCRD(t)
	changed.ResourceVersion = "2"
	changed.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["cronSpec"] = apiextensionsv1.JSONSchemaProps{Type: "string", Description: "changed"}
	h.SetCustomResources([]*apiextensionsv1.CustomResourceDefinition{changed})
	after := v3Index(t, srv)
	if after[gvPath] == url1 {
		t.Error("v1 hash unchanged by a schema change")
	}
	if after["apis/stable.example.com/v1beta1"] != added["apis/stable.example.com/v1beta1"] {
		t.Error("v1beta1 hash changed by a v1 schema change")
	}
	// The old hash redirects to the new one.
	resp, _ := get(t, srv.URL+url1, "application/json")
	if resp.Request.URL.RequestURI() != after[gvPath] {
		t.Errorf("stale hash ended at %s, want %s", resp.Request.URL.RequestURI(), after[gvPath])
	}
	if doc := getV3(t, srv, gvPath); doc.Components.Schemas["com.example.stable.v1.CronTab"].Properties["spec"].Properties["cronSpec"].Description != "changed" {
		t.Error("v3 document not rebuilt")
	}

	// Withdrawn: gone from the index, 404, and out of v2.
	h.SetCustomResources(nil)
	gone := v3Index(t, srv)
	if _, ok := gone[gvPath]; ok {
		t.Errorf("%s still listed", gvPath)
	}
	if len(gone) != len(before) {
		t.Errorf("index has %d group versions, want %d", len(gone), len(before))
	}
	if resp, _ := get(t, srv.URL+v3PathPrefix+gvPath, "application/json"); resp.StatusCode != 404 {
		t.Errorf("withdrawn group version: %d", resp.StatusCode)
	}
	sw, etag := getV2(t, srv)
	if _, ok := sw.Definitions["com.example.stable.v1.CronTab"]; ok {
		t.Error("v2 still defines CronTab")
	}
	if _, ok := sw.Paths.Paths["/apis/stable.example.com/v1/crontabs"]; ok {
		t.Error("v2 still has CronTab paths")
	}
	if etag != etag0 {
		t.Error("v2 ETag differs from the one without CRDs")
	}
}

// TestCustomResourceInBuiltinGroupVersion: a CRD in a group version that
// also serves built-ins is merged into its document, and withdrawing it
// restores the built-in document.
func TestCustomResourceInBuiltinGroupVersion(t *testing.T) {
	h, srv, _ := newCRDServer(t)
	const gvPath = "apis/storage.k8s.io/v1"
	builtin := v3Index(t, srv)[gvPath]
	h.SetCustomResources([]*apiextensionsv1.CustomResourceDefinition{simpleCRD("storage.k8s.io", "Widget", "widgets")})
	doc := getV3(t, srv, gvPath)
	for _, p := range []string{"/apis/storage.k8s.io/v1/storageclasses", "/apis/storage.k8s.io/v1/widgets/{name}"} {
		if _, ok := doc.Paths.Paths[p]; !ok {
			t.Errorf("merged document lacks %s", p)
		}
	}
	if _, ok := doc.Components.Schemas["io.k8s.storage.v1.Widget"]; !ok {
		t.Error("merged document lacks the Widget schema")
	}
	if v3Index(t, srv)[gvPath] == builtin {
		t.Error("hash unchanged")
	}
	h.SetCustomResources(nil)
	if v3Index(t, srv)[gvPath] != builtin {
		t.Error("built-in document not restored")
	}
	if doc := getV3(t, srv, gvPath); doc.Paths.Paths["/apis/storage.k8s.io/v1/widgets/{name}"] != nil {
		t.Error("Widget paths left behind")
	}
}

// TestCustomResourcesShareAGroupVersion: two CRDs of one group version
// share its document; withdrawing one keeps the other.
func TestCustomResourcesShareAGroupVersion(t *testing.T) {
	h, srv, _ := newCRDServer(t)
	widgets, gadgets := simpleCRD("example.com", "Widget", "widgets"), simpleCRD("example.com", "Gadget", "gadgets")
	h.SetCustomResources([]*apiextensionsv1.CustomResourceDefinition{widgets, gadgets})
	doc := getV3(t, srv, "apis/example.com/v1")
	for _, name := range []string{"com.example.v1.Widget", "com.example.v1.Gadget", "com.example.v1.GadgetList"} {
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("no schema %s", name)
		}
	}
	h.SetCustomResources([]*apiextensionsv1.CustomResourceDefinition{gadgets})
	doc = getV3(t, srv, "apis/example.com/v1")
	if _, ok := doc.Components.Schemas["com.example.v1.Widget"]; ok {
		t.Error("withdrawn Widget still described")
	}
	if _, ok := doc.Paths.Paths["/apis/example.com/v1/gadgets/{name}"]; !ok {
		t.Error("Gadget paths gone")
	}
}

func TestNonStructuralSchemaIsABareObject(t *testing.T) {
	crd := simpleCRD("example.com", "Loose", "looses")
	crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"] = apiextensionsv1.JSONSchemaProps{
		Properties: map[string]apiextensionsv1.JSONSchemaProps{"x": {Type: "string"}}, // no type
	}
	for _, v2 := range []bool{true, false} {
		cr := customResourcesOf(crd)[0]
		s := crdSchemas{v2: v2}.kind(&cr)
		if typeOf(*s) != "object" || len(s.Properties) != 0 || !hasGVKExt(*s, cr.GVK) {
			t.Errorf("v2=%v: %+v", v2, s)
		}
	}
}

func TestOperationIDWord(t *testing.T) {
	for in, want := range map[string]string{
		"rbac.authorization": "RbacAuthorization", "my-group.example.com": "MyGroupExampleCom",
		"core": "Core", "v1beta1": "V1beta1", "2fa.example.com": "FaExampleCom",
	} {
		if got := operationIDWord(in, true); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// TestSetCustomResourcesWhileServing races publishing against requests
// (run with -race).
func TestSetCustomResourcesWhileServing(t *testing.T) {
	h, srv, _ := newCRDServer(t)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			crds := []*apiextensionsv1.CustomResourceDefinition{sampleCRD(t)}
			if i%2 == 0 {
				crds = append(crds, simpleCRD("example.com", "Widget", fmt.Sprintf("widgets%d", i)))
			}
			h.SetCustomResources(crds)
		}
	}()
	for i := 0; i < 10; i++ {
		for _, p := range []string{V3Path, v3PathPrefix + "apis/stable.example.com/v1", V2Path} {
			resp, _ := get(t, srv.URL+p, "application/json")
			if resp.StatusCode != 200 && resp.StatusCode != 404 {
				t.Errorf("GET %s: %d", p, resp.StatusCode)
			}
		}
	}
	wg.Wait()
}

// BenchmarkSetCustomResources measures what the server pays per call with
// 50 CRDs: "unchanged" hands over the same set again (the common case: a
// CRD's status changed elsewhere), "one-changed" a set with one new
// resourceVersion and schema.
func BenchmarkSetCustomResources(b *testing.B) {
	h, err := NewHandler(api.Resources)
	if err != nil {
		b.Fatal(err)
	}
	crds := make([]*apiextensionsv1.CustomResourceDefinition, 50)
	for i := range crds {
		crds[i] = sampleCRD(b)
		crds[i].Name = fmt.Sprintf("crontabs%d.stable%d.example.com", i, i)
		crds[i].UID = types.UID(crds[i].Name)
		crds[i].Spec.Group = fmt.Sprintf("stable%d.example.com", i)
	}
	h.SetCustomResources(crds)
	b.Run("unchanged", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			h.SetCustomResources(crds)
		}
	})
	b.Run("one-changed", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			crd := crds[0].DeepCopy()
			crd.ResourceVersion = fmt.Sprint(i + 2)
			crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Description = fmt.Sprint(i)
			crds[0] = crd
			h.SetCustomResources(crds)
		}
	})
}

// TestCustomResourceSchemasFeedServerSideApply: managedfields builds a
// type converter from CustomResourceSchemas that types a CronTab by its
// schema (and rejects a field the schema does not declare).
func TestCustomResourceSchemasFeedServerSideApply(t *testing.T) {
	crd := sampleCRD(t)
	schemas, err := NewBuilder(api.Scheme, api.Resources).CustomResourceSchemas(crd)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"com.example.stable.v1alpha1.CronTab", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"} {
		if _, ok := schemas[name]; !ok {
			t.Errorf("no schema %s", name)
		}
	}
	tc, err := managedfields.NewTypeConverter(schemas, crd.Spec.PreserveUnknownFields)
	if err != nil {
		t.Fatal(err)
	}
	obj := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "stable.example.com/v1", "kind": "CronTab",
		"metadata": map[string]interface{}{"name": "a", "namespace": "default"},
		"spec": map[string]interface{}{
			"cronSpec": "* * * * *", "maxSurge": "25%", "extra": map[string]interface{}{"anything": true},
			"ports": []interface{}{map[string]interface{}{"name": "http", "port": int64(80)}},
		},
	}}
	if _, err := tc.ObjectToTyped(obj); err != nil {
		t.Errorf("typing a CronTab: %v", err)
	}
	obj.Object["spec"].(map[string]interface{})["bogus"] = "x"
	if _, err := tc.ObjectToTyped(obj); err == nil {
		t.Error("a field the schema does not declare was accepted")
	}
}
