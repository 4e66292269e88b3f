package integration

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/internal/testserver"
)

// widgetCRD is a namespaced CRD with two served versions (v1 stores), a
// schema with a default, status and scale subresources, printer columns,
// a short name and the "all" category.
func widgetCRD() *apiextensionsv1.CustomResourceDefinition {
	schemaProps := &apiextensionsv1.JSONSchemaProps{Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
		"spec": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
			"replicas": {Type: "integer", Minimum: ptr(0.0)},
			"size":     {Type: "string", Default: &apiextensionsv1.JSON{Raw: []byte(`"medium"`)}},
			"color":    {Type: "string", Enum: []apiextensionsv1.JSON{{Raw: []byte(`"red"`)}, {Raw: []byte(`"blue"`)}}},
		}},
		"status": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
			"replicas": {Type: "integer"},
			"selector": {Type: "string"},
			"phase":    {Type: "string"},
		}},
	}}
	version := func(name string, storage bool) apiextensionsv1.CustomResourceDefinitionVersion {
		return apiextensionsv1.CustomResourceDefinitionVersion{
			Name: name, Served: true, Storage: storage,
			Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: schemaProps.DeepCopy()},
			Subresources: &apiextensionsv1.CustomResourceSubresources{
				Status: &apiextensionsv1.CustomResourceSubresourceStatus{},
				Scale: &apiextensionsv1.CustomResourceSubresourceScale{SpecReplicasPath: ".spec.replicas",
					StatusReplicasPath: ".status.replicas", LabelSelectorPath: ptr(".status.selector")},
			},
			AdditionalPrinterColumns: []apiextensionsv1.CustomResourceColumnDefinition{
				{Name: "Size", Type: "string", JSONPath: ".spec.size"},
				{Name: "Replicas", Type: "integer", JSONPath: ".spec.replicas"},
				{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"},
			},
		}
	}
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets.example.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "example.com", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Singular: "widget", Kind: "Widget",
				ListKind: "WidgetList", ShortNames: []string{"wd"}, Categories: []string{"all", "example"}},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{version("v1", true), version("v1beta1", false)},
		},
	}
}

// gizmoCRD is a cluster-scoped CRD without subresources whose schema
// keeps unknown fields under spec.
func gizmoCRD() *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "gizmos.example.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "example.com", Scope: apiextensionsv1.ClusterScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "gizmos", Singular: "gizmo", Kind: "Gizmo", ListKind: "GizmoList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {Type: "object", XPreserveUnknownFields: ptr(true)},
					}}}}},
		},
	}
}

var (
	widgetsGVR = schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}
	gizmosGVR  = schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "gizmos"}
)

// crdEnv is one server with the widget and gizmo CRDs established.
type crdEnv struct {
	s   *testserver.Server
	ext apiextensionsclient.Interface
	dyn dynamic.Interface
	raw *rawClient
}

func startCRDEnv(t *testing.T) *crdEnv {
	t.Helper()
	s := testserver.Start(t, "")
	env := &crdEnv{s: s, ext: apiextensionsclient.NewForConfigOrDie(s.RESTConfig), dyn: dynamic.NewForConfigOrDie(s.RESTConfig),
		raw: newRawClient(t, s, s.RESTConfig)}
	createNamespace(t, s, "crd")
	env.createCRD(t, widgetCRD())
	env.createCRD(t, gizmoCRD())
	return env
}

// createCRD creates crd and waits until it is Established.
func (e *crdEnv) createCRD(t *testing.T, crd *apiextensionsv1.CustomResourceDefinition) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	ctx := context.Background()
	if _, err := e.ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create CRD %s: %v", crd.Name, err)
	}
	var got *apiextensionsv1.CustomResourceDefinition
	pollCRD(t, crd.Name+" Established", func(ctx context.Context) (bool, error) {
		c, err := e.ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		got = c
		return condition(c, apiextensionsv1.Established) == apiextensionsv1.ConditionTrue, nil
	})
	return got
}

func condition(crd *apiextensionsv1.CustomResourceDefinition, t apiextensionsv1.CustomResourceDefinitionConditionType) apiextensionsv1.ConditionStatus {
	for _, c := range crd.Status.Conditions {
		if c.Type == t {
			return c.Status
		}
	}
	return ""
}

func pollCRD(t *testing.T, what string, cond func(context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 30*time.Second, true, cond); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func widget(name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": name, "namespace": "crd", "labels": map[string]any{"app": name}}, "spec": spec}}
	return u
}

// TestCustomResourceDefinition: a CRD's status as upstream's controllers
// keep it, and name conflicts within a group.
func TestCustomResourceDefinition(t *testing.T) {
	env := startCRDEnv(t)
	ctx := context.Background()
	crd, err := env.ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "widgets.example.com", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if condition(crd, apiextensionsv1.NamesAccepted) != apiextensionsv1.ConditionTrue || crd.Status.AcceptedNames.Kind != "Widget" ||
		len(crd.Status.AcceptedNames.ShortNames) != 1 {
		t.Errorf("status = %+v", crd.Status)
	}
	if got := crd.Status.StoredVersions; len(got) != 1 || got[0] != "v1" {
		t.Errorf("storedVersions = %v", got)
	}
	if crd.Generation != 1 || len(crd.Finalizers) != 0 {
		t.Errorf("generation %d finalizers %v", crd.Generation, crd.Finalizers)
	}
	// Defaults as upstream's v1 defaulting.
	if crd.Spec.Conversion == nil || crd.Spec.Conversion.Strategy != apiextensionsv1.NoneConverter {
		t.Errorf("conversion = %+v", crd.Spec.Conversion)
	}

	// Stored as protobuf under upstream's key.
	resp, err := env.s.EtcdClient().Get(ctx, "/registry/apiextensions.k8s.io/customresourcedefinitions/widgets.example.com")
	if err != nil || len(resp.Kvs) != 1 || !strings.HasPrefix(string(resp.Kvs[0].Value), "k8s\x00") {
		t.Errorf("etcd value: %v %v", err, resp)
	}

	// Another CRD of the group claiming the kind Widget.
	clash := gizmoCRD()
	clash.Name, clash.Spec.Names = "others.example.com", apiextensionsv1.CustomResourceDefinitionNames{
		Plural: "others", Singular: "other", Kind: "Widget", ListKind: "OtherList"}
	if _, err := env.ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, clash, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pollCRD(t, "KindConflict", func(ctx context.Context) (bool, error) {
		c, err := env.ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, clash.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, cond := range c.Status.Conditions {
			if cond.Type == apiextensionsv1.NamesAccepted && cond.Status == apiextensionsv1.ConditionFalse {
				if cond.Reason != "KindConflict" || cond.Message != `"Widget" is already in use` {
					t.Errorf("NamesAccepted = %+v", cond)
				}
				return condition(c, apiextensionsv1.Established) == apiextensionsv1.ConditionFalse, nil
			}
		}
		return false, nil
	})
	// Not served.
	if r := env.raw.do(t, "GET", "/apis/example.com/v1/others", "", nil); r.code != http.StatusNotFound {
		t.Errorf("GET others: %d", r.code)
	}

	// Invalid CRDs are 422 with causes.
	bad := gizmoCRD()
	bad.Name = "wrong.example.com"
	_, err = env.ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, bad, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Errorf("bad CRD name: %v", err)
	}

	// Table: NAME, CREATED AT.
	r := env.raw.get(t, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "application/json;as=Table;v=v1;g=meta.k8s.io")
	var table metav1.Table
	if err := json.Unmarshal(r.body, &table); err != nil || len(table.ColumnDefinitions) != 2 || table.ColumnDefinitions[1].Name != "Created At" {
		t.Errorf("CRD table: %v %s", err, truncate(r.body))
	}
}

// get does a GET with an Accept header.
func (c *rawClient) get(t *testing.T, path, accept string) rawResponse {
	t.Helper()
	req, err := http.NewRequest("GET", c.base+path, nil)
	if err != nil {
		t.Fatal(err)
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

// warnings collects the Warning headers a client receives.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(code int, agent, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.msgs
	w.msgs = nil
	return out
}

// TestCustomResourceCRUD drives a namespaced custom resource through the
// dynamic client: metadata, generation, conflicts, status, patches,
// server-side apply, defaulting, pruning, validation.
func TestCustomResourceCRUD(t *testing.T) {
	env := startCRDEnv(t)
	ctx := context.Background()
	warn := &warnings{}
	cfg := rest.CopyConfig(env.s.RESTConfig)
	cfg.WarningHandler = warn
	dyn := dynamic.NewForConfigOrDie(cfg)
	widgets := dyn.Resource(widgetsGVR).Namespace("crd")

	created, err := widgets.Create(ctx, widget("w1", map[string]any{"replicas": int64(1)}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if created.GetUID() == "" || created.GetResourceVersion() == "" || created.GetGeneration() != 1 || created.GetCreationTimestamp().Time.IsZero() {
		t.Errorf("created metadata = %+v", created.Object["metadata"])
	}
	if size, _, _ := unstructured.NestedString(created.Object, "spec", "size"); size != "medium" {
		t.Errorf("default spec.size = %q", size)
	}
	if len(created.GetManagedFields()) != 1 {
		t.Errorf("managedFields = %v", created.GetManagedFields())
	}
	// Stored as JSON with the storage version under upstream's key.
	resp, err := env.s.EtcdClient().Get(ctx, "/registry/example.com/widgets/crd/w1")
	if err != nil || len(resp.Kvs) != 1 || !strings.Contains(string(resp.Kvs[0].Value), `"apiVersion":"example.com/v1"`) {
		t.Fatalf("etcd: %v %v", err, resp)
	}

	// generateName.
	gen := widget("", map[string]any{})
	gen.SetGenerateName("w-")
	if g, err := widgets.Create(ctx, gen, metav1.CreateOptions{}); err != nil || !strings.HasPrefix(g.GetName(), "w-") {
		t.Errorf("generateName: %v", err)
	}

	// Status is ignored on create and on the main endpoint.
	st := widget("w2", map[string]any{})
	st.Object["status"] = map[string]any{"phase": "Ready"}
	w2, err := widgets.Create(ctx, st, metav1.CreateOptions{})
	if err != nil || w2.Object["status"] != nil {
		t.Errorf("create with status: %v %v", err, w2)
	}

	// Spec change bumps generation; a stale update is 409.
	_ = unstructured.SetNestedField(created.Object, int64(2), "spec", "replicas")
	updated, err := widgets.Update(ctx, created, metav1.UpdateOptions{})
	if err != nil || updated.GetGeneration() != 2 {
		t.Fatalf("update: %v generation %d", err, updated.GetGeneration())
	}
	if _, err := widgets.Update(ctx, created, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("stale update: %v", err)
	}
	// /status: status changes, generation does not.
	_ = unstructured.SetNestedField(updated.Object, "Ready", "status", "phase")
	_ = unstructured.SetNestedField(updated.Object, int64(9), "spec", "replicas") // ignored through /status
	withStatus, err := widgets.UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if phase, _, _ := unstructured.NestedString(withStatus.Object, "status", "phase"); phase != "Ready" || withStatus.GetGeneration() != 2 {
		t.Errorf("status update: phase %q generation %d", phase, withStatus.GetGeneration())
	}
	if n, _, _ := unstructured.NestedInt64(withStatus.Object, "spec", "replicas"); n != 2 {
		t.Errorf("status update changed spec.replicas to %d", n)
	}

	// Patches: merge, JSON; strategic merge is 415.
	mp, err := widgets.Patch(ctx, "w1", types.MergePatchType, []byte(`{"metadata":{"annotations":{"a":"b"}},"spec":{"color":"red"}}`), metav1.PatchOptions{})
	if err != nil || mp.GetAnnotations()["a"] != "b" || mp.GetGeneration() != 3 {
		t.Errorf("merge patch: %v %v", err, mp)
	}
	jp, err := widgets.Patch(ctx, "w1", types.JSONPatchType, []byte(`[{"op":"replace","path":"/spec/color","value":"blue"}]`), metav1.PatchOptions{})
	if color, _, _ := unstructured.NestedString(jp.Object, "spec", "color"); err != nil || color != "blue" {
		t.Errorf("json patch: %v %v", err, color)
	}
	_, err = widgets.Patch(ctx, "w1", types.StrategicMergePatchType, []byte(`{"spec":{"color":"red"}}`), metav1.PatchOptions{})
	if !apierrors.IsUnsupportedMediaType(err) {
		t.Errorf("strategic merge patch: %v", err)
	}

	// Server-side apply creates, then merges; managedFields name the manager.
	applied, err := widgets.Apply(ctx, "w3", widget("w3", map[string]any{"replicas": int64(4), "color": "red"}),
		metav1.ApplyOptions{FieldManager: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	if applied.GetManagedFields()[0].Manager != "tester" || applied.GetManagedFields()[0].Operation != metav1.ManagedFieldsOperationApply {
		t.Errorf("managedFields = %+v", applied.GetManagedFields())
	}
	other := widget("w3", map[string]any{"size": "large"})
	if _, err := widgets.Apply(ctx, "w3", other, metav1.ApplyOptions{FieldManager: "other"}); err != nil {
		t.Fatal(err)
	}
	conflicting := widget("w3", map[string]any{"replicas": int64(5)})
	if _, err := widgets.Apply(ctx, "w3", conflicting, metav1.ApplyOptions{FieldManager: "other"}); !apierrors.IsConflict(err) {
		t.Errorf("apply of another manager's field: %v", err)
	}
	got, _ := widgets.Get(ctx, "w3", metav1.GetOptions{})
	if n, _, _ := unstructured.NestedInt64(got.Object, "spec", "replicas"); n != 4 || got.Object["spec"].(map[string]any)["size"] != "large" {
		t.Errorf("after applies: %v", got.Object["spec"])
	}

	// fieldValidation: Strict is 400, Warn (the default) warns, Ignore
	// prunes silently; unknown fields are never stored.
	unknown := widget("w4", map[string]any{"foo": "bar"})
	_, err = widgets.Create(ctx, unknown, metav1.CreateOptions{FieldValidation: "Strict"})
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), `strict decoding error: unknown field "spec.foo"`) {
		t.Errorf("Strict: %v", err)
	}
	warn.take()
	w4, err := widgets.Create(ctx, unknown, metav1.CreateOptions{FieldValidation: "Warn"})
	if err != nil {
		t.Fatal(err)
	}
	if msgs := warn.take(); len(msgs) != 1 || msgs[0] != `unknown field "spec.foo"` {
		t.Errorf("Warn warnings = %q", msgs)
	}
	if _, found := w4.Object["spec"].(map[string]any)["foo"]; found {
		t.Errorf("unknown field stored: %v", w4.Object["spec"])
	}
	unknown.SetName("w5")
	if _, err := widgets.Create(ctx, unknown, metav1.CreateOptions{FieldValidation: "Ignore"}); err != nil || len(warn.take()) != 0 {
		t.Errorf("Ignore: %v", err)
	}

	// Schema violations are 422 with causes.
	_, err = widgets.Create(ctx, widget("bad", map[string]any{"replicas": int64(-1), "color": "green"}), metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("invalid: %v", err)
	}
	causes := map[string]bool{}
	for _, c := range err.(apierrors.APIStatus).Status().Details.Causes {
		causes[c.Field] = true
	}
	if !causes["spec.replicas"] || !causes["spec.color"] {
		t.Errorf("causes = %+v", err.(apierrors.APIStatus).Status().Details.Causes)
	}
	// Metadata is validated as for built-ins.
	if _, err := widgets.Create(ctx, widget("Not_Valid", map[string]any{}), metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("invalid name: %v", err)
	}

	// Lists: selectors and pages.
	list, err := widgets.List(ctx, metav1.ListOptions{LabelSelector: "app=w1"})
	if err != nil || len(list.Items) != 1 || list.GetResourceVersion() == "" || list.GetKind() != "WidgetList" {
		t.Errorf("label selector: %v %v", err, list)
	}
	list, err = widgets.List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=w2"})
	if err != nil || len(list.Items) != 1 {
		t.Errorf("field selector: %v", err)
	}
	if _, err := widgets.List(ctx, metav1.ListOptions{FieldSelector: "spec.color=red"}); !apierrors.IsBadRequest(err) {
		t.Errorf("unsupported field selector: %v", err)
	}
	page, err := widgets.List(ctx, metav1.ListOptions{Limit: 2})
	if err != nil || len(page.Items) != 2 || page.GetContinue() == "" {
		t.Fatalf("page 1: %v", err)
	}
	rest2, err := widgets.List(ctx, metav1.ListOptions{Limit: 10, Continue: page.GetContinue()})
	if err != nil || len(rest2.Items) != 4 {
		t.Errorf("page 2: %v %d items", err, len(rest2.Items))
	}

	// Another version: the same object with its apiVersion.
	beta, err := dyn.Resource(schema.GroupVersionResource{Group: "example.com", Version: "v1beta1", Resource: "widgets"}).
		Namespace("crd").Get(ctx, "w1", metav1.GetOptions{})
	if err != nil || beta.GetAPIVersion() != "example.com/v1beta1" || beta.GetUID() != created.GetUID() {
		t.Errorf("v1beta1: %v %v", err, beta)
	}

	// Scale.
	sc := env.raw.do(t, "GET", "/apis/example.com/v1/namespaces/crd/widgets/w1/scale", "", nil)
	var scale map[string]any
	_ = json.Unmarshal(sc.body, &scale)
	if sc.code != 200 || scale["kind"] != "Scale" || scale["spec"].(map[string]any)["replicas"] != float64(2) {
		t.Errorf("scale: %d %s", sc.code, sc.body)
	}
	sp := env.raw.do(t, "PATCH", "/apis/example.com/v1/namespaces/crd/widgets/w1/scale", "application/merge-patch+json", []byte(`{"spec":{"replicas":7}}`))
	if sp.code != 200 {
		t.Fatalf("patch scale: %d %s", sp.code, sp.body)
	}
	got, _ = widgets.Get(ctx, "w1", metav1.GetOptions{})
	if n, _, _ := unstructured.NestedInt64(got.Object, "spec", "replicas"); n != 7 {
		t.Errorf("after scale: replicas %d", n)
	}

	// Delete with a finalizer: deletionTimestamp, then gone once released.
	fin := widget("held", map[string]any{})
	fin.SetFinalizers([]string{"example.com/hold"})
	if _, err := widgets.Create(ctx, fin, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := widgets.Delete(ctx, "held", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	held, err := widgets.Get(ctx, "held", metav1.GetOptions{})
	if err != nil || held.GetDeletionTimestamp() == nil {
		t.Fatalf("held: %v", err)
	}
	held.SetFinalizers(nil)
	if _, err := widgets.Update(ctx, held, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := widgets.Get(ctx, "held", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("released: %v", err)
	}
	if err := widgets.Delete(ctx, "w2", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := widgets.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "app=w4"}); err != nil {
		t.Fatal(err)
	}
	if _, err := widgets.Get(ctx, "w4", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("deletecollection: %v", err)
	}

	// Cluster-scoped, no subresources, unknown fields kept under spec.
	gizmos := env.dyn.Resource(gizmosGVR)
	g := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1", "kind": "Gizmo",
		"metadata": map[string]any{"name": "g1"}, "spec": map[string]any{"anything": map[string]any{"goes": true}}, "status": "kept"}}
	gc, err := gizmos.Create(ctx, g, metav1.CreateOptions{})
	if err != nil || gc.GetNamespace() != "" || gc.Object["spec"].(map[string]any)["anything"] == nil {
		t.Fatalf("gizmo: %v %v", err, gc)
	}
	if _, found := gc.Object["status"]; found {
		t.Errorf("undeclared status kept: %v", gc.Object)
	}
	_ = unstructured.SetNestedField(gc.Object, "x", "spec", "more")
	gu, err := gizmos.Update(ctx, gc, metav1.UpdateOptions{})
	if err != nil || gu.GetGeneration() != 2 {
		t.Errorf("gizmo update: %v", err)
	}
	if err := gizmos.Delete(ctx, "g1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestCustomResourceWatch: watches from a resourceVersion, with bookmarks
// and sendInitialEvents, as for built-ins.
func TestCustomResourceWatch(t *testing.T) {
	env := startCRDEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	widgets := env.dyn.Resource(widgetsGVR).Namespace("crd")
	if _, err := widgets.Create(ctx, widget("before", map[string]any{}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	list, err := widgets.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := widgets.Watch(ctx, metav1.ListOptions{ResourceVersion: list.GetResourceVersion()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	created, err := widgets.Create(ctx, widget("during", map[string]any{}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedField(created.Object, int64(3), "spec", "replicas")
	if _, err := widgets.Update(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := widgets.Delete(ctx, "during", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []watch.EventType{watch.Added, watch.Modified, watch.Deleted} {
		select {
		case ev := <-w.ResultChan():
			u, ok := ev.Object.(*unstructured.Unstructured)
			if ev.Type != want || !ok || u.GetName() != "during" || u.GetKind() != "Widget" || u.GetAPIVersion() != "example.com/v1" {
				t.Fatalf("event %s %v, want %s", ev.Type, ev.Object, want)
			}
		case <-ctx.Done():
			t.Fatal("no event")
		}
	}

	// WatchList: the current objects, then a bookmark marking their end.
	wl, err := widgets.Watch(ctx, metav1.ListOptions{SendInitialEvents: ptr(true), AllowWatchBookmarks: true,
		ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan})
	if err != nil {
		t.Fatal(err)
	}
	defer wl.Stop()
	ev := <-wl.ResultChan()
	if ev.Type != watch.Added || ev.Object.(*unstructured.Unstructured).GetName() != "before" {
		t.Fatalf("initial event %v", ev)
	}
	ev = <-wl.ResultChan()
	if ev.Type != watch.Bookmark || ev.Object.(*unstructured.Unstructured).GetAnnotations()["k8s.io/initial-events-end"] != "true" {
		t.Fatalf("bookmark %v", ev)
	}
}
