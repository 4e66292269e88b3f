package printers

import (
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tinykube/tinykube/pkg/api"
)

var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testGenerator() *Generator { return New(func() time.Time { return testNow }) }

// ago is a creation time d before testNow.
func ago(d time.Duration) metav1.Time { return metav1.NewTime(testNow.Add(-d)) }

func testPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: "u-" + types.UID(name),
			ResourceVersion: "7", Labels: map[string]string{"app": "web"}, CreationTimestamp: ago(5 * time.Minute)},
		Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
}

func TestIncludeObject(t *testing.T) {
	pod := testPod("p")
	for _, tc := range []struct {
		include metav1.IncludeObjectPolicy
		check   func(t *testing.T, obj runtime.Object)
	}{
		{"", wantPartial},
		{metav1.IncludeMetadata, wantPartial},
		{metav1.IncludeObject, func(t *testing.T, obj runtime.Object) {
			if obj != pod {
				t.Errorf("row object = %T, want the pod itself", obj)
			}
		}},
		{metav1.IncludeNone, func(t *testing.T, obj runtime.Object) {
			if obj != nil {
				t.Errorf("row object = %T, want none", obj)
			}
		}},
	} {
		t.Run(string(tc.include), func(t *testing.T) {
			table, err := testGenerator().ToTable(pod, &metav1.TableOptions{IncludeObject: tc.include}, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(table.Rows) != 1 {
				t.Fatalf("got %d rows", len(table.Rows))
			}
			tc.check(t, table.Rows[0].Object.Object)
		})
	}
}

func wantPartial(t *testing.T, obj runtime.Object) {
	t.Helper()
	p, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		t.Fatalf("row object = %T, want *PartialObjectMetadata", obj)
	}
	if p.APIVersion != "meta.k8s.io/v1" || p.Kind != "PartialObjectMetadata" {
		t.Errorf("TypeMeta = %+v", p.TypeMeta)
	}
	if p.Name != "p" || p.Namespace != "default" || p.Labels["app"] != "web" || p.ResourceVersion != "7" {
		t.Errorf("ObjectMeta not copied: %+v", p.ObjectMeta)
	}
}

func TestInitialEventsEndBookmarkAlwaysMetadata(t *testing.T) {
	pod := testPod("p")
	pod.Annotations = map[string]string{initialEventsEndAnnotation: "true"}
	table, err := testGenerator().ToTable(pod, &metav1.TableOptions{IncludeObject: metav1.IncludeObject}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := table.Rows[0].Object.Object.(*metav1.PartialObjectMetadata); !ok {
		t.Errorf("row object = %T, want PartialObjectMetadata", table.Rows[0].Object.Object)
	}
}

func TestBadIncludeObject(t *testing.T) {
	_, err := testGenerator().ToTable(testPod("p"), &metav1.TableOptions{IncludeObject: "Everything"}, false)
	if !apierrors.IsBadRequest(err) {
		t.Errorf("err = %v, want BadRequest", err)
	}
}

func TestNoMetadataIsNotAcceptable(t *testing.T) {
	_, err := testGenerator().ToTable(&metav1.Status{}, nil, false)
	var se *apierrors.StatusError
	if !errors.As(err, &se) || se.ErrStatus.Code != http.StatusNotAcceptable {
		t.Errorf("err = %v, want 406", err)
	}
}

func TestNoHeaders(t *testing.T) {
	g := testGenerator()
	with, err := g.ToTable(testPod("p"), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(with.ColumnDefinitions) != 9 {
		t.Errorf("got %d columns, want 9", len(with.ColumnDefinitions))
	}
	for _, opts := range []struct {
		opts      *metav1.TableOptions
		noHeaders bool
	}{{nil, true}, {&metav1.TableOptions{NoHeaders: true}, false}} {
		without, err := g.ToTable(testPod("p"), opts.opts, opts.noHeaders)
		if err != nil {
			t.Fatal(err)
		}
		if without.ColumnDefinitions != nil {
			t.Errorf("noHeaders: got columns %v", without.ColumnDefinitions)
		}
		if !reflect.DeepEqual(without.Rows[0].Cells, with.Rows[0].Cells) {
			t.Errorf("noHeaders changed the cells: %v vs %v", without.Rows[0].Cells, with.Rows[0].Cells)
		}
	}
}

func TestList(t *testing.T) {
	remaining := int64(4)
	list := &corev1.PodList{
		ListMeta: metav1.ListMeta{ResourceVersion: "42", Continue: "next", RemainingItemCount: &remaining},
		Items:    []corev1.Pod{*testPod("a"), *testPod("b")},
	}
	table, err := testGenerator().ToTable(list, &metav1.TableOptions{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if table.Kind != "Table" || table.APIVersion != "meta.k8s.io/v1" {
		t.Errorf("TypeMeta = %+v", table.TypeMeta)
	}
	if table.ResourceVersion != "42" || table.Continue != "next" || deref(table.RemainingItemCount) != 4 {
		t.Errorf("ListMeta = %+v", table.ListMeta)
	}
	if got := columnNames(table.ColumnDefinitions); got[1] != "Ready" {
		t.Errorf("columns = %v, want pod columns", got)
	}
	var names []interface{}
	for _, r := range table.Rows {
		names = append(names, r.Cells[0])
		if p := r.Object.Object.(*metav1.PartialObjectMetadata); p.Name != r.Cells[0] {
			t.Errorf("row %v carries metadata of %q", r.Cells[0], p.Name)
		}
	}
	if !reflect.DeepEqual(names, []interface{}{"a", "b"}) {
		t.Errorf("rows = %v", names)
	}
}

func TestEmptyListKeepsColumns(t *testing.T) {
	table, err := testGenerator().ToTable(&corev1.NodeList{ListMeta: metav1.ListMeta{ResourceVersion: "9"}}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if table.Rows == nil || len(table.Rows) != 0 {
		t.Errorf("rows = %#v, want empty non-nil", table.Rows)
	}
	if got := columnNames(table.ColumnDefinitions); len(got) != 10 || got[1] != "Status" {
		t.Errorf("columns = %v, want node columns", got)
	}
}

func TestSingleObjectResourceVersion(t *testing.T) {
	table, err := testGenerator().ToTable(testPod("p"), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if table.ResourceVersion != "7" {
		t.Errorf("resourceVersion = %q, want 7", table.ResourceVersion)
	}
}

func TestDefaultTable(t *testing.T) {
	roles := &rbacv1.RoleList{Items: []rbacv1.Role{
		{ObjectMeta: metav1.ObjectMeta{Name: "r", CreationTimestamp: metav1.NewTime(time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("x", 3600)))}},
	}}
	table, err := testGenerator().ToTable(roles, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []metav1.TableColumnDefinition{
		{Name: "Name", Type: "string", Format: "name", Description: objectMetaDoc["name"]},
		{Name: "Created At", Type: "date", Description: objectMetaDoc["creationTimestamp"]},
	}
	if !reflect.DeepEqual(table.ColumnDefinitions, want) {
		t.Errorf("columns = %+v", table.ColumnDefinitions)
	}
	if got := table.Rows[0].Cells; !reflect.DeepEqual(got, []interface{}{"r", "2025-03-04T04:06:07Z"}) {
		t.Errorf("cells = %v", got)
	}
}

func TestStorageClassDefaultOnlyInLists(t *testing.T) {
	mk := func(name string, created time.Duration, isDefault bool) storagev1.StorageClass {
		sc := storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: ago(created)}, Provisioner: "p"}
		if isDefault {
			sc.Annotations = map[string]string{defaultClassAnnotation: "true"}
		}
		return sc
	}
	list := &storagev1.StorageClassList{Items: []storagev1.StorageClass{
		mk("old", time.Hour, true), mk("new", time.Minute, true), mk("plain", time.Second, false),
	}}
	g := testGenerator()
	table, err := g.ToTable(list, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	var names []interface{}
	for _, r := range table.Rows {
		names = append(names, r.Cells[0])
	}
	if want := []interface{}{"old", "new (default)", "plain"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names = %v, want %v", names, want)
	}
	single, err := g.ToTable(&list.Items[1], nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if single.Rows[0].Cells[0] != "new" {
		t.Errorf("single object name = %v, want plain name", single.Rows[0].Cells[0])
	}
}

// Upstream prints FlowSchemas in matching order (precedence, then name),
// not in list order; a single object is printed as is.
func TestFlowSchemaListSorted(t *testing.T) {
	fs := func(name string, precedence int32) flowcontrolv1.FlowSchema {
		return flowcontrolv1.FlowSchema{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: flowcontrolv1.FlowSchemaSpec{MatchingPrecedence: precedence}}
	}
	list := &flowcontrolv1.FlowSchemaList{Items: []flowcontrolv1.FlowSchema{
		fs("global-default", 9900), fs("system-nodes", 500), fs("exempt", 1), fs("probes", 2), fs("catch-all", 10000), fs("system-leader-election", 100), fs("endpoint-controller", 150), fs("a-leader-election", 100),
	}}
	table, err := testGenerator().ToTable(list, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	var names []interface{}
	for _, r := range table.Rows {
		names = append(names, r.Cells[0])
		if p := r.Object.Object.(*metav1.PartialObjectMetadata); p.Name != r.Cells[0] {
			t.Errorf("row %v carries metadata of %q", r.Cells[0], p.Name)
		}
	}
	want := []interface{}{"exempt", "probes", "a-leader-election", "system-leader-election", "endpoint-controller",
		"system-nodes", "global-default", "catch-all"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("rows = %v, want %v", names, want)
	}
	if list.Items[0].Name != "global-default" {
		t.Errorf("printing reordered the list itself: first item %q", list.Items[0].Name)
	}
}

// Every served resource that can be listed has a printer, or is one of
// the resources upstream serves with the default table.
func TestEveryServedResourceHasAPrinter(t *testing.T) {
	defaultTable := map[string]bool{"limitranges": true, "roles": true, "clusterroles": true, "customresourcedefinitions": true}
	g := testGenerator()
	for _, r := range api.Resources {
		if !contains(r.Verbs, "list") {
			continue
		}
		obj, err := api.Scheme.New(r.GVK())
		if err != nil {
			t.Errorf("%s: %v", r.Name, err)
			continue
		}
		_, ok := g.printers[reflect.TypeOf(obj)]
		if ok == defaultTable[r.Name] {
			t.Errorf("%s: has printer = %v, want %v", r.GVR(), ok, !defaultTable[r.Name])
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func columnNames(cols []metav1.TableColumnDefinition) []string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return names
}
