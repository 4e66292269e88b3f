package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	ctrlcache "sigs.k8s.io/controller-runtime/pkg/cache"
	ctrlclient "sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controllermanager"
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
			"ports": {Type: "array", XListType: ptr("map"), XListMapKeys: []string{"name"},
				Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", Required: []string{"name"}, Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"name": {Type: "string"}, "port": {Type: "integer"}}}}},
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
	v1 := version("v1", true)
	v1.SelectableFields = []apiextensionsv1.SelectableField{{JSONPath: ".spec.color"}}
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets.example.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "example.com", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Singular: "widget", Kind: "Widget",
				ListKind: "WidgetList", ShortNames: []string{"wd"}, Categories: []string{"all", "example"}},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{v1, version("v1beta1", false)},
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
	controllertest.Eventually(t, crd.Name+" Established", func(ctx context.Context) (bool, error) {
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
	if crd.Generation != 1 || len(crd.Finalizers) != 0 || len(crd.ManagedFields) == 0 {
		t.Errorf("generation %d finalizers %v", crd.Generation, crd.Finalizers)
	}
	// Defaults as upstream's v1 defaulting.
	if crd.Spec.Conversion == nil || crd.Spec.Conversion.Strategy != apiextensionsv1.NoneConverter {
		t.Errorf("conversion = %+v", crd.Spec.Conversion)
	}

	// Stored as JSON (as upstream's apiextensions-apiserver stores CRDs)
	// under upstream's key.
	resp, err := env.s.EtcdClient().Get(ctx, "/registry/apiextensions.k8s.io/customresourcedefinitions/widgets.example.com")
	if err != nil || len(resp.Kvs) != 1 || !strings.HasPrefix(string(resp.Kvs[0].Value), `{"kind":"CustomResourceDefinition","apiVersion":"apiextensions.k8s.io/v1"`) {
		t.Errorf("etcd value: %v %v", err, resp)
	}

	// Another CRD of the group claiming the kind Widget.
	clash := gizmoCRD()
	clash.Name, clash.Spec.Names = "others.example.com", apiextensionsv1.CustomResourceDefinitionNames{
		Plural: "others", Singular: "other", Kind: "Widget", ListKind: "OtherList"}
	if _, err := env.ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, clash, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "KindConflict", func(ctx context.Context) (bool, error) {
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

	// A short name in use.
	short := gizmoCRD()
	short.Name, short.Spec.Names = "shorts.example.com", apiextensionsv1.CustomResourceDefinitionNames{
		Plural: "shorts", Singular: "short", Kind: "Short", ListKind: "ShortList", ShortNames: []string{"wd"}}
	if _, err := env.ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, short, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "ShortNamesConflict", func(ctx context.Context) (bool, error) {
		c, err := env.ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, short.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, cond := range c.Status.Conditions {
			if cond.Type == apiextensionsv1.NamesAccepted && cond.Status == apiextensionsv1.ConditionFalse {
				return cond.Reason == "ShortNamesConflict" && cond.Message == `"wd" is already in use`, nil
			}
		}
		return false, nil
	})

	// Invalid CRDs are 422 with causes.
	bad := gizmoCRD()
	bad.Name = "wrong.example.com"
	_, err = env.ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, bad, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Errorf("bad CRD name: %v", err)
	}

	// Deleting widgets frees the kind Widget: the other CRD takes it.
	if err := env.ext.ApiextensionsV1().CustomResourceDefinitions().Delete(ctx, "widgets.example.com", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "others Established once widgets is gone", func(ctx context.Context) (bool, error) {
		c, err := env.ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, clash.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return condition(c, apiextensionsv1.Established) == apiextensionsv1.ConditionTrue && c.Status.AcceptedNames.Kind == "Widget", nil
	})
	if r := env.raw.do(t, "GET", "/apis/example.com/v1/others", "", nil); r.code != http.StatusOK {
		t.Errorf("GET others: %d %s", r.code, r.body)
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
	return c.send(t, "GET", path, "", accept, nil)
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
	if !apierrors.IsUnsupportedMediaType(err) || !strings.HasSuffix(err.Error(),
		"accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml") {
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
	// A list-type map merges by key across managers (the CRD's schema
	// feeds the field manager).
	for _, m := range []string{"a", "b"} {
		cfg := widget("w3", map[string]any{"ports": []any{map[string]any{"name": m, "port": int64(80)}}})
		if _, err := widgets.Apply(ctx, "w3", cfg, metav1.ApplyOptions{FieldManager: "ports-" + m}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = widgets.Get(ctx, "w3", metav1.GetOptions{})
	if ports, _, _ := unstructured.NestedSlice(got.Object, "spec", "ports"); len(ports) != 2 {
		t.Errorf("ports after two managers' applies: %v", ports)
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
	if _, err := widgets.List(ctx, metav1.ListOptions{FieldSelector: "spec.size=small"}); !apierrors.IsBadRequest(err) {
		t.Errorf("unsupported field selector: %v", err)
	}
	// spec.color is a selectable field of v1.
	list, err = widgets.List(ctx, metav1.ListOptions{FieldSelector: "spec.color=blue"})
	if err != nil || len(list.Items) != 1 || list.Items[0].GetName() != "w1" {
		t.Errorf("selectable field: %v %v", err, list)
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

// TestCustomResourceServing: discovery (legacy and aggregated), Tables,
// PartialObjectMetadata, content types, a controller-runtime client; then
// deleting the CRD deletes its objects and withdraws the endpoints.
func TestCustomResourceServing(t *testing.T) {
	env := startCRDEnv(t)
	ctx := context.Background()
	widgets := env.dyn.Resource(widgetsGVR).Namespace("crd")
	for _, name := range []string{"a", "b"} {
		if _, err := widgets.Create(ctx, widget(name, map[string]any{"replicas": int64(2), "size": "small"}), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	// Legacy discovery.
	disc := discovery.NewDiscoveryClientForConfigOrDie(env.s.RESTConfig)
	rl, err := disc.ServerResourcesForGroupVersion("example.com/v1")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]metav1.APIResource{}
	for _, r := range rl.APIResources {
		byName[r.Name] = r
	}
	w := byName["widgets"]
	if w.Kind != "Widget" || !w.Namespaced || w.SingularName != "widget" || len(w.ShortNames) != 1 || w.ShortNames[0] != "wd" ||
		len(w.Categories) != 2 || len(w.Verbs) != 8 || w.StorageVersionHash == "" {
		t.Errorf("widgets = %+v", w)
	}
	if s := byName["widgets/scale"]; s.Group != "autoscaling" || s.Kind != "Scale" {
		t.Errorf("widgets/scale = %+v", s)
	}
	if _, ok := byName["widgets/status"]; !ok || byName["gizmos"].Namespaced {
		t.Errorf("resources = %v", byName)
	}
	groups, err := disc.ServerGroups()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, g := range groups.Groups {
		if g.Name == "example.com" {
			found = true
			if g.PreferredVersion.Version != "v1" || len(g.Versions) != 2 || g.Versions[1].Version != "v1beta1" {
				t.Errorf("group = %+v", g)
			}
		}
	}
	if !found {
		t.Errorf("example.com not in /apis")
	}
	if r := env.raw.do(t, "GET", "/apis/example.com", "", nil); r.code != 200 || !strings.Contains(string(r.body), `"preferredVersion"`) {
		t.Errorf("/apis/example.com: %d %s", r.code, r.body)
	}
	// Aggregated discovery, with an ETag.
	const aggregatedAccept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
	agg := env.raw.get(t, "/apis", aggregatedAccept)
	if agg.code != 200 || agg.header.Get("ETag") == "" || !strings.Contains(string(agg.body), `"resource":"widgets"`) {
		t.Fatalf("aggregated: %d %v", agg.code, agg.header)
	}
	_, all, err := disc.ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	found = false
	for _, l := range all {
		if l.GroupVersion == "example.com/v1" {
			for _, r := range l.APIResources {
				found = found || r.Name == "widgets" && r.Kind == "Widget"
			}
		}
	}
	if !found {
		t.Errorf("aggregated discovery through client-go lacks widgets")
	}

	// Table with the CRD's columns.
	tr := env.raw.get(t, "/apis/example.com/v1/namespaces/crd/widgets", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
	var table metav1.Table
	if err := json.Unmarshal(tr.body, &table); err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range table.ColumnDefinitions {
		cols = append(cols, c.Name)
	}
	if strings.Join(cols, ",") != "Name,Size,Replicas,Age" || len(table.Rows) != 2 {
		t.Fatalf("table columns %v, %d rows", cols, len(table.Rows))
	}
	if c := table.Rows[0].Cells; c[0] != "a" || c[1] != "small" || c[2] != float64(2) || c[3] == nil {
		t.Errorf("row = %v", c)
	}

	// A watch of Tables (kubectl get -w): headers in the first event only.
	wt := env.raw.get(t, "/apis/example.com/v1/namespaces/crd/widgets?watch=true&timeoutSeconds=1",
		"application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
	dec := json.NewDecoder(strings.NewReader(string(wt.body)))
	var events []metav1.Table
	for {
		var ev struct {
			Type   string       `json:"type"`
			Object metav1.Table `json:"object"`
		}
		if dec.Decode(&ev) != nil {
			break
		}
		events = append(events, ev.Object)
	}
	if len(events) != 2 || len(events[0].ColumnDefinitions) != 4 || len(events[1].ColumnDefinitions) != 0 ||
		events[1].Rows[0].Cells[1] != "small" {
		t.Errorf("table watch: %d events: %s", len(events), truncate(wt.body))
	}

	// PartialObjectMetadata through the metadata client.
	meta, err := metadata.NewForConfigOrDie(env.s.RESTConfig).Resource(widgetsGVR).Namespace("crd").List(ctx, metav1.ListOptions{})
	if err != nil || len(meta.Items) != 2 || meta.Items[0].Name != "a" || meta.Items[0].UID == "" {
		t.Errorf("metadata list: %v %v", err, meta)
	}

	// Content types: no protobuf for custom resources.
	pb := env.raw.get(t, "/apis/example.com/v1/namespaces/crd/widgets/a", "application/vnd.kubernetes.protobuf, application/json")
	if pb.code != 200 || !strings.HasPrefix(pb.header.Get("Content-Type"), "application/json") {
		t.Errorf("protobuf,json Accept: %d %s", pb.code, pb.header.Get("Content-Type"))
	}
	if r := env.raw.get(t, "/apis/example.com/v1/namespaces/crd/widgets/a", "application/vnd.kubernetes.protobuf"); r.code != http.StatusNotAcceptable {
		t.Errorf("protobuf Accept: %d", r.code)
	}
	// Metadata and Tables have a protobuf form (the metadata client asks
	// for it first).
	pm := env.raw.get(t, "/apis/example.com/v1/namespaces/crd/widgets",
		"application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json")
	if pm.code != 200 || pm.header.Get("Content-Type") != "application/vnd.kubernetes.protobuf" {
		t.Errorf("protobuf PartialObjectMetadataList: %d %s", pm.code, pm.header.Get("Content-Type"))
	}
	if r := env.raw.do(t, "POST", "/apis/example.com/v1/namespaces/crd/widgets", "application/vnd.kubernetes.protobuf", []byte("k8s\x00")); r.code != http.StatusUnsupportedMediaType {
		t.Errorf("protobuf body: %d %s", r.code, r.body)
	}
	y := env.raw.do(t, "POST", "/apis/example.com/v1/namespaces/crd/widgets", "application/yaml",
		[]byte("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: yaml\nspec:\n  replicas: 1\n"))
	if y.code != http.StatusCreated {
		t.Errorf("YAML body: %d %s", y.code, y.body)
	}
	if r := env.raw.get(t, "/apis/example.com/v1/namespaces/crd/widgets/yaml", "application/yaml"); r.code != 200 || !strings.Contains(string(r.body), "kind: Widget") {
		t.Errorf("YAML out: %d %s", r.code, r.body)
	}
	dup := env.raw.do(t, "POST", "/apis/example.com/v1/namespaces/crd/widgets?fieldValidation=Strict", "application/yaml",
		[]byte("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: dup\nspec:\n  size: a\n  size: b\n"))
	if dup.code != http.StatusBadRequest || !strings.Contains(dup.status.Message, "strict decoding error") {
		t.Errorf("YAML duplicate key, Strict: %d %s", dup.code, dup.body)
	}

	// controller-runtime's client, unstructured.
	cl, err := ctrlclient.New(env.s.RESTConfig, ctrlclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cw := widget("ctrl", map[string]any{"replicas": int64(1)})
	if err := cl.Create(ctx, cw); err != nil {
		t.Fatalf("controller-runtime create: %v", err)
	}
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"})
	if err := cl.Get(ctx, ctrlclient.ObjectKey{Namespace: "crd", Name: "ctrl"}, got); err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedField(got.Object, "large", "spec", "size")
	if err := cl.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	if err := cl.Patch(ctx, got, ctrlclient.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"p":"1"}}}`))); err != nil {
		t.Fatal(err)
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "WidgetList"})
	if err := cl.List(ctx, list, ctrlclient.InNamespace("crd"), ctrlclient.MatchingLabels{"p": "1"}); err != nil || len(list.Items) != 1 {
		t.Errorf("controller-runtime list: %v %d", err, len(list.Items))
	}
	if err := cl.Delete(ctx, got); err != nil {
		t.Fatal(err)
	}
	// controller-runtime's informer cache lists and watches (WatchList).
	cctx, stopCache := context.WithCancel(ctx)
	defer stopCache()
	informers, err := ctrlcache.New(env.s.RESTConfig, ctrlcache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = informers.Start(cctx) }()
	cached := &unstructured.Unstructured{}
	cached.SetGroupVersionKind(schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"})
	controllertest.Eventually(t, "informer cache has widget a", func(ctx context.Context) (bool, error) {
		err := informers.Get(ctx, ctrlclient.ObjectKey{Namespace: "crd", Name: "a"}, cached)
		return err == nil, nil
	})
	if _, err := widgets.Create(ctx, widget("c", map[string]any{}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "informer cache sees widget c", func(ctx context.Context) (bool, error) {
		return informers.Get(ctx, ctrlclient.ObjectKey{Namespace: "crd", Name: "c"}, cached) == nil, nil
	})
	stopCache()

	// Delete the CRD: its objects go (one waits on its finalizer), creates
	// are refused meanwhile, then the CRD and its endpoints go.
	held := widget("held", map[string]any{})
	held.SetFinalizers([]string{"example.com/hold"})
	if _, err := widgets.Create(ctx, held, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	crds := env.ext.ApiextensionsV1().CustomResourceDefinitions()
	if err := crds.Delete(ctx, "widgets.example.com", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "objects deleted", func(ctx context.Context) (bool, error) {
		l, err := widgets.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		return len(l.Items) == 1 && l.Items[0].GetDeletionTimestamp() != nil, nil
	})
	var crd *apiextensionsv1.CustomResourceDefinition
	controllertest.Eventually(t, "CRD InstanceDeletionInProgress", func(ctx context.Context) (bool, error) {
		crd, err = crds.Get(ctx, "widgets.example.com", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, c := range crd.Status.Conditions {
			if c.Type == apiextensionsv1.Terminating {
				return c.Status == apiextensionsv1.ConditionTrue && c.Reason == "InstanceDeletionInProgress", nil
			}
		}
		return false, nil
	})
	if crd.DeletionTimestamp == nil || len(crd.Finalizers) != 1 || crd.Finalizers[0] != "customresourcecleanup.apiextensions.k8s.io" {
		t.Fatalf("deleting CRD: %+v", crd)
	}
	if _, err := widgets.Create(ctx, widget("late", map[string]any{}), metav1.CreateOptions{}); !apierrors.IsForbidden(err) ||
		err.Error() != `widgets.example.com "late" is forbidden: create not allowed while custom resource definition is terminating` {
		t.Errorf("create while terminating: %v", err)
	}
	h, err := widgets.Get(ctx, "held", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h.SetFinalizers(nil)
	if _, err := widgets.Update(ctx, h, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "CRD gone", func(ctx context.Context) (bool, error) {
		_, err := crds.Get(ctx, "widgets.example.com", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	controllertest.Eventually(t, "endpoints gone", func(ctx context.Context) (bool, error) {
		r := env.raw.do(t, "GET", "/apis/example.com/v1/namespaces/crd/widgets", "", nil)
		return r.code == http.StatusNotFound && r.status.Reason == metav1.StatusReasonNotFound, nil
	})
	rl, err = disc.ServerResourcesForGroupVersion("example.com/v1")
	if err != nil || len(rl.APIResources) != 1 || rl.APIResources[0].Name != "gizmos" {
		t.Errorf("discovery after delete: %v %+v", err, rl)
	}
	if r := env.raw.do(t, "GET", "/apis/example.com/v1beta1", "", nil); r.code != http.StatusNotFound {
		t.Errorf("v1beta1 after delete: %d", r.code)
	}
	agg2 := env.raw.get(t, "/apis", aggregatedAccept)
	if agg2.header.Get("ETag") == agg.header.Get("ETag") || strings.Contains(string(agg2.body), `"resource":"widgets"`) {
		t.Errorf("aggregated discovery unchanged after delete")
	}
	// An unchanged document is 304 to If-None-Match.
	req, _ := http.NewRequest("GET", env.s.URL+"/apis", nil)
	req.Header.Set("Accept", aggregatedAccept)
	req.Header.Set("If-None-Match", agg2.header.Get("ETag"))
	if resp, err := env.raw.http.Do(req); err != nil || resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
	if resp, _ := env.s.EtcdClient().Get(ctx, "/registry/example.com/widgets/", clientv3.WithPrefix()); resp == nil || len(resp.Kvs) != 0 {
		t.Errorf("widgets left in etcd: %v", resp)
	}
}

// TestCustomResourceRestart: custom resources survive a restart and are
// served as soon as the restarted server is ready.
func TestCustomResourceRestart(t *testing.T) {
	env := startCRDEnv(t)
	ctx := context.Background()
	created, err := env.dyn.Resource(widgetsGVR).Namespace("crd").Create(ctx, widget("keep", map[string]any{"replicas": int64(3)}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := testserver.Start(t, env.s.DataDir)
	got, err := dynamic.NewForConfigOrDie(s2.RESTConfig).Resource(widgetsGVR).Namespace("crd").Get(ctx, "keep", metav1.GetOptions{})
	if err != nil || got.GetUID() != created.GetUID() || got.GetResourceVersion() != created.GetResourceVersion() {
		t.Fatalf("after restart: %v %v", err, got)
	}
	if n, _, _ := unstructured.NestedInt64(got.Object, "spec", "replicas"); n != 3 {
		t.Errorf("replicas = %d", n)
	}
}

// TestCustomResourceControllers: resource quota, namespace deletion and
// the garbage collector find custom resources through discovery and the
// metadata client; quota admission charges their creates.
func TestCustomResourceControllers(t *testing.T) {
	env := startCRDEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := controllermanager.DefaultConfig()
	cfg.RESTConfig, cfg.LeaderElect, cfg.Controllers = env.s.RESTConfig, false, []string{"namespace", "garbagecollector", "resourcequota"}
	go func() { _ = controllermanager.Run(ctx, cfg) }()

	// An object count quota: the controller counts widgets, admission
	// refuses the one too many.
	widgets := env.dyn.Resource(widgetsGVR).Namespace("crd")
	if _, err := widgets.Create(ctx, widget("counted", map[string]any{}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rq := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "widgets"},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"count/widgets.example.com": resource.MustParse("2")}}}
	if _, err := env.s.Client.CoreV1().ResourceQuotas("crd").Create(ctx, rq, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "quota counts widgets", func(ctx context.Context) (bool, error) {
		q, err := env.s.Client.CoreV1().ResourceQuotas("crd").Get(ctx, "widgets", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		used := q.Status.Used["count/widgets.example.com"]
		return used.Value() == 1, nil
	})
	if _, err := widgets.Create(ctx, widget("second", map[string]any{}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := widgets.Create(ctx, widget("third", map[string]any{}), metav1.CreateOptions{}); !apierrors.IsForbidden(err) ||
		!strings.Contains(err.Error(), "exceeded quota") {
		t.Errorf("create past the quota: %v", err)
	}
	for _, n := range []string{"counted", "second"} {
		if err := widgets.Delete(ctx, n, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.s.Client.CoreV1().ResourceQuotas("crd").Delete(ctx, "widgets", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	// An owned gizmo goes with its owner.
	owner, err := env.s.Client.CoreV1().ConfigMaps("crd").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	owned := widget("owned", map[string]any{})
	owned.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "owner", UID: owner.UID}})
	if _, err := widgets.Create(ctx, owned, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := env.s.Client.CoreV1().ConfigMaps("crd").Delete(ctx, "owner", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "owned widget collected", func(ctx context.Context) (bool, error) {
		_, err := widgets.Get(ctx, "owned", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})

	// Deleting the namespace deletes its widgets.
	if _, err := widgets.Create(ctx, widget("doomed", map[string]any{}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := env.s.Client.CoreV1().Namespaces().Delete(ctx, "crd", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "namespace gone", func(ctx context.Context) (bool, error) {
		_, err := env.s.Client.CoreV1().Namespaces().Get(ctx, "crd", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if resp, _ := env.s.EtcdClient().Get(ctx, "/registry/example.com/widgets/crd/", clientv3.WithPrefix()); resp == nil || len(resp.Kvs) != 0 {
		t.Errorf("widgets left in etcd: %v", resp)
	}
}

// TestCustomResourceVersions: changing a CRD re-serves it at once — a
// new version (which becomes the preferred one), a deprecated version
// (Warning headers), a new default (shown in objects stored before it);
// versions of a CRD converting through a webhook fail with a 500, as
// upstream when its webhook cannot be reached.
func TestCustomResourceVersions(t *testing.T) {
	env := startCRDEnv(t)
	ctx := context.Background()
	gizmos := env.dyn.Resource(gizmosGVR)
	g := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1", "kind": "Gizmo",
		"metadata": map[string]any{"name": "old"}, "spec": map[string]any{}}}
	if _, err := gizmos.Create(ctx, g, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	crds := env.ext.ApiextensionsV1().CustomResourceDefinitions()
	crd, err := crds.Get(ctx, "gizmos.example.com", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v1 := &crd.Spec.Versions[0]
	v1.Deprecated, v1.DeprecationWarning = true, ptr("gizmos v1 is going away")
	v1.Schema.OpenAPIV3Schema.Properties["spec"] = apiextensionsv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: ptr(true),
		Properties: map[string]apiextensionsv1.JSONSchemaProps{"mode": {Type: "string", Default: &apiextensionsv1.JSON{Raw: []byte(`"auto"`)}}}}
	v2 := *v1.DeepCopy()
	v2.Name, v2.Storage, v2.Deprecated, v2.DeprecationWarning = "v2", false, false, nil
	crd.Spec.Versions = append(crd.Spec.Versions, v2)
	if _, err := crds.Update(ctx, crd, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	v2GVR := schema.GroupVersionResource{Group: "example.com", Version: "v2", Resource: "gizmos"}
	var got *unstructured.Unstructured
	controllertest.Eventually(t, "v2 served", func(ctx context.Context) (bool, error) {
		got, err = env.dyn.Resource(v2GVR).Get(ctx, "old", metav1.GetOptions{})
		return err == nil, nil
	})
	if got.GetAPIVersion() != "example.com/v2" {
		t.Errorf("v2 object: %v", got)
	}
	if mode, _, _ := unstructured.NestedString(got.Object, "spec", "mode"); mode != "auto" {
		t.Errorf("default on read: spec.mode = %q", mode)
	}
	groups, err := discovery.NewDiscoveryClientForConfigOrDie(env.s.RESTConfig).ServerGroups()
	if err != nil {
		t.Fatal(err)
	}
	for _, gr := range groups.Groups {
		if gr.Name == "example.com" && gr.PreferredVersion.Version != "v2" {
			t.Errorf("preferred version = %v", gr.PreferredVersion)
		}
	}
	r := env.raw.do(t, "GET", "/apis/example.com/v1/gizmos/old", "", nil)
	if r.code != 200 || !strings.Contains(r.header.Get("Warning"), "gizmos v1 is going away") {
		t.Errorf("deprecated version: %d Warning %q", r.code, r.header.Get("Warning"))
	}

	// Webhook conversion: the storage version is served, others fail.
	crd, err = crds.Get(ctx, "gizmos.example.com", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	crd.Spec.Conversion = &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.WebhookConverter,
		Webhook: &apiextensionsv1.WebhookConversion{ConversionReviewVersions: []string{"v1"},
			ClientConfig: &apiextensionsv1.WebhookClientConfig{URL: ptr("https://convert.example.com/convert")}}}
	if _, err := crds.Update(ctx, crd, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "v2 fails", func(ctx context.Context) (bool, error) {
		_, err := env.dyn.Resource(v2GVR).Get(ctx, "old", metav1.GetOptions{})
		return apierrors.IsInternalError(err) && strings.Contains(err.Error(), "conversion webhook"), nil
	})
	if _, err := gizmos.Get(ctx, "old", metav1.GetOptions{}); err != nil {
		t.Errorf("storage version: %v", err)
	}
}
