package customresource

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func object() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w", "namespace": "ns", "creationTimestamp": "2026-01-01T00:00:00Z"},
		"spec":     map[string]any{"size": "small", "replicas": int64(3), "ratio": 1.5, "on": true},
		"status":   map[string]any{"replicas": int64(2), "selector": "app=w"},
	}}
}

func TestTableCells(t *testing.T) {
	table, err := NewTable([]apiextensionsv1.CustomResourceColumnDefinition{
		{Name: "Size", Type: "string", JSONPath: ".spec.size"},
		{Name: "Replicas", Type: "integer", JSONPath: ".spec.replicas"},
		{Name: "Ratio", Type: "number", JSONPath: ".spec.ratio"},
		{Name: "On", Type: "boolean", JSONPath: ".spec.on"},
		{Name: "Missing", Type: "string", JSONPath: ".spec.nothing"},
		{Name: "Wrong", Type: "integer", JSONPath: ".spec.size"},
		{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"},
	})
	if err != nil {
		t.Fatal(err)
	}
	table.now = func() time.Time { return time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC) }
	list := &unstructured.UnstructuredList{Object: map[string]any{"metadata": map[string]any{"resourceVersion": "7"}},
		Items: []unstructured.Unstructured{*object()}}
	got, err := table.ToTable(list, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ColumnDefinitions) != 8 || got.ColumnDefinitions[0].Name != "Name" || got.ResourceVersion != "7" {
		t.Fatalf("table = %+v", got)
	}
	want := []any{"w", "small", int64(3), 1.5, true, nil, nil, "2d"}
	for i, c := range got.Rows[0].Cells {
		if c != want[i] {
			t.Errorf("cell %d (%s) = %#v, want %#v", i, got.ColumnDefinitions[i].Name, c, want[i])
		}
	}
	if p, ok := got.Rows[0].Object.Object.(*metav1.PartialObjectMetadata); !ok || p.Name != "w" {
		t.Errorf("row object = %#v", got.Rows[0].Object.Object)
	}
	if _, err := NewTable([]apiextensionsv1.CustomResourceColumnDefinition{{Name: "Bad", JSONPath: ".spec[["}}); err == nil {
		t.Error("bad JSONPath accepted")
	}
	noHeaders, _ := table.ToTable(object(), &metav1.TableOptions{IncludeObject: metav1.IncludeNone}, true)
	if len(noHeaders.ColumnDefinitions) != 0 || noHeaders.Rows[0].Object.Object != nil {
		t.Errorf("no headers, no object: %+v", noHeaders)
	}
}

func TestScale(t *testing.T) {
	paths := &apiextensionsv1.CustomResourceSubresourceScale{SpecReplicasPath: ".spec.replicas",
		StatusReplicasPath: ".status.replicas", LabelSelectorPath: func() *string { s := ".status.selector"; return &s }()}
	u := object()
	sc := ScaleOf(u, paths)
	if sc.Spec.Replicas != 3 || sc.Status.Replicas != 2 || sc.Status.Selector != "app=w" || sc.Name != "w" {
		t.Errorf("scale = %+v", sc)
	}
	if err := SetReplicas(u, paths, 5); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := unstructured.NestedInt64(u.Object, "spec", "replicas"); n != 5 {
		t.Errorf("replicas = %d", n)
	}
	empty := &unstructured.Unstructured{Object: map[string]any{}}
	if sc := ScaleOf(empty, paths); sc.Spec.Replicas != 0 || sc.Status.Selector != "" {
		t.Errorf("empty scale = %+v", sc)
	}
}

func TestCodecAndWithKind(t *testing.T) {
	storage := schema.GroupVersionKind{Group: "example.com", Version: "v2", Kind: "Widget"}
	c := Codec{Kind: storage, Default: func(m map[string]any) { m["defaulted"] = true }}
	u := object()
	var buf bytes.Buffer
	if err := c.Encode(u, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"apiVersion":"example.com/v2"`) || u.GetAPIVersion() != "example.com/v1" {
		t.Errorf("encoded %s; object now %s", buf.String(), u.GetAPIVersion())
	}
	out, _, err := c.Decode(buf.Bytes(), nil, &unstructured.Unstructured{})
	if err != nil || out.(*unstructured.Unstructured).Object["defaulted"] != true {
		t.Errorf("decode: %v %v", err, out)
	}
	shared := object()
	w := WithKind(shared, storage)
	if w.GetAPIVersion() != "example.com/v2" || shared.GetAPIVersion() != "example.com/v1" {
		t.Errorf("WithKind changed the shared object")
	}
	if WithKind(shared, shared.GroupVersionKind()) != shared {
		t.Errorf("WithKind copied an object that had the kind")
	}
}

type noSchema struct{}

func (noSchema) Default(map[string]any)                  {}
func (noSchema) Prune(map[string]any) []string           { return nil }
func (noSchema) Validate(map[string]any) field.ErrorList { return nil }

func TestStrategyGeneration(t *testing.T) {
	v := &Version{Status: true, Schema: noSchema{}, SelectableFields: []string{"spec.size", "spec.none"}}
	v.Resource.Namespaced = true
	s := Strategy{V: v}
	old, obj := object(), object()
	_ = unstructured.SetNestedField(obj.Object, "x", "metadata", "labels", "a")
	if s.BumpsGeneration(obj, old) {
		t.Error("metadata change bumps generation")
	}
	_ = unstructured.SetNestedField(obj.Object, "Done", "status", "phase")
	s.PrepareForUpdate(context.Background(), obj, old)
	if s.BumpsGeneration(obj, old) {
		t.Error("status change through the main endpoint bumps generation")
	}
	_ = unstructured.SetNestedField(obj.Object, "large", "spec", "size")
	if !s.BumpsGeneration(obj, old) {
		t.Error("spec change does not bump generation")
	}
	_, fs, _ := s.GetAttrs(obj)
	if fs["spec.size"] != "large" || fs["spec.none"] != "" || fs["metadata.namespace"] != "ns" {
		t.Errorf("fields = %v", fs)
	}
	st := s.StatusStrategy()
	next := object()
	_ = unstructured.SetNestedField(next.Object, "huge", "spec", "size")
	_ = unstructured.SetNestedField(next.Object, "Done", "status", "phase")
	st.PrepareForUpdate(context.Background(), next, old)
	if size, _, _ := unstructured.NestedString(next.Object, "spec", "size"); size != "small" {
		t.Errorf("status endpoint changed spec.size to %q", size)
	}
	if phase, _, _ := unstructured.NestedString(next.Object, "status", "phase"); phase != "Done" {
		t.Errorf("status endpoint dropped status.phase")
	}
}
