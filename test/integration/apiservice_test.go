package integration

import (
	"encoding/json"
	"fmt"
	"testing"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/tinykube/tinykube/internal/testserver"
)

var apiservicesGVR = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

func apiService(t *testing.T, u *unstructured.Unstructured) *apiregistrationv1.APIService {
	t.Helper()
	a := &apiregistrationv1.APIService{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, a); err != nil {
		t.Fatal(err)
	}
	return a
}

func available(a *apiregistrationv1.APIService) (apiregistrationv1.APIServiceCondition, bool) {
	for _, c := range a.Status.Conditions {
		if c.Type == apiregistrationv1.Available {
			return c, true
		}
	}
	return apiregistrationv1.APIServiceCondition{}, false
}

// TestAPIServices: the group is served and discovered as the conformance
// specs expect, the server registers a local APIService per built-in
// group version, and clients can create, read and delete their own.
func TestAPIServices(t *testing.T) {
	dir := t.TempDir()
	s := testserver.Start(t, dir)
	ctx := t.Context()

	// Discovery: the group version document lists apiservices (the
	// Discovery conformance spec), the aggregated one too.
	rl, err := s.Client.Discovery().ServerResourcesForGroupVersion("apiregistration.k8s.io/v1")
	if err != nil {
		t.Fatalf("GET /apis/apiregistration.k8s.io/v1: %v", err)
	}
	var res *metav1.APIResource
	for i := range rl.APIResources {
		if rl.APIResources[i].Name == "apiservices" {
			res = &rl.APIResources[i]
		}
	}
	if res == nil || res.Namespaced || res.Kind != "APIService" || len(res.Categories) != 1 || res.Categories[0] != "api-extensions" {
		t.Fatalf("apiservices in discovery = %+v", res)
	}
	cfg := rest.CopyConfig(s.RESTConfig)
	cfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	rc, err := rest.UnversionedRESTClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := rc.Get().AbsPath("/apis").SetHeader("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList").Do(ctx).Raw()
	if err != nil {
		t.Fatal(err)
	}
	var groups apidiscoveryv2.APIGroupDiscoveryList
	if err := json.Unmarshal(raw, &groups); err != nil {
		t.Fatal(err)
	}
	var aggregated *apidiscoveryv2.APIResourceDiscovery
	for _, g := range groups.Items {
		for _, v := range g.Versions {
			for i, r := range v.Resources {
				if g.Name == "apiregistration.k8s.io" && v.Version == "v1" && r.Resource == "apiservices" {
					aggregated = &v.Resources[i]
				}
			}
		}
	}
	if aggregated == nil || aggregated.Scope != apidiscoveryv2.ScopeCluster || aggregated.ResponseKind.Kind != "APIService" ||
		len(aggregated.Subresources) != 1 || aggregated.Subresources[0].Subresource != "status" {
		t.Fatalf("apiservices in aggregated discovery = %+v", aggregated)
	}

	// The local APIServices of the built-in group versions.
	dyn := dynamic.NewForConfigOrDie(s.RESTConfig)
	apiservices := dyn.Resource(apiservicesGVR)
	list, err := apiservices.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*apiregistrationv1.APIService{}
	for i := range list.Items {
		a := apiService(t, &list.Items[i])
		byName[a.Name] = a
	}
	for name, want := range map[string]apiregistrationv1.APIServiceSpec{
		"v1.":                     {Group: "", Version: "v1", GroupPriorityMinimum: 18000, VersionPriority: 1},
		"v1.apps":                 {Group: "apps", Version: "v1", GroupPriorityMinimum: 17800, VersionPriority: 15},
		"v1.apiextensions.k8s.io": {Group: "apiextensions.k8s.io", Version: "v1", GroupPriorityMinimum: 16700, VersionPriority: 15},
	} {
		a, ok := byName[name]
		if !ok {
			t.Errorf("no APIService %q among %d", name, len(byName))
			continue
		}
		if !equality.Semantic.DeepEqual(a.Spec, want) {
			t.Errorf("%s spec = %+v, want %+v", name, a.Spec, want)
		}
		if c, ok := available(a); !ok || c.Status != apiregistrationv1.ConditionTrue || c.Reason != "Local" {
			t.Errorf("%s Available = %+v", name, c)
		}
	}
	if _, ok := byName["v1.apiregistration.k8s.io"]; ok {
		t.Errorf("v1.apiregistration.k8s.io registered; upstream has no priority for it and registers none")
	}

	// A client's APIService: validated, defaulted, its status not
	// settable on create; a local one is Available at once.
	bad := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]interface{}{"name": "v1beta1.wrong.example.com"},
		"spec": map[string]interface{}{"group": "example.com", "version": "v1beta1",
			"groupPriorityMinimum": int64(100), "versionPriority": int64(0)},
	}}
	_, err = apiservices.Create(ctx, bad, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("create with a name not <version>.<group> and versionPriority 0: %v, want Invalid", err)
	}
	if causes := err.(apierrors.APIStatus).Status().Details.Causes; len(causes) != 2 {
		t.Errorf("causes = %+v, want metadata.name and spec.versionPriority", causes)
	}
	remote := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]interface{}{"name": "v1beta1.example.com"},
		"spec": map[string]interface{}{"group": "example.com", "version": "v1beta1",
			"groupPriorityMinimum": int64(100), "versionPriority": int64(10), "insecureSkipTLSVerify": true,
			"service": map[string]interface{}{"namespace": "default", "name": "example"}},
		"status": map[string]interface{}{"conditions": []interface{}{map[string]interface{}{"type": "Available", "status": "True"}}},
	}}
	created, err := apiservices.Create(ctx, remote, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := apiService(t, created)
	if a.Spec.Service.Port == nil || *a.Spec.Service.Port != 443 {
		t.Errorf("service port = %v, want the default 443", a.Spec.Service.Port)
	}
	if len(a.Status.Conditions) != 0 {
		t.Errorf("status set on create: %+v", a.Status)
	}
	got, err := apiservices.Get(ctx, "v1beta1.example.com", metav1.GetOptions{})
	if err != nil || got.GetUID() != created.GetUID() {
		t.Fatalf("get: %v", err)
	}
	local := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]interface{}{"name": "v2.example.com"},
		"spec": map[string]interface{}{"group": "example.com", "version": "v2",
			"groupPriorityMinimum": int64(100), "versionPriority": int64(20)},
	}}
	if created, err = apiservices.Create(ctx, local, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if c, ok := available(apiService(t, created)); !ok || c.Status != apiregistrationv1.ConditionTrue || c.Reason != "Local" {
		t.Errorf("local APIService Available = %+v", c)
	}
	// Server-side apply knows the type (its schema is not in client-go's
	// models).
	applied, err := apiservices.Apply(ctx, "v2.example.com", &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]interface{}{"name": "v2.example.com", "labels": map[string]interface{}{"applied": "yes"}},
	}}, metav1.ApplyOptions{FieldManager: "tester"})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if applied.GetLabels()["applied"] != "yes" || len(applied.GetManagedFields()) != 2 {
		t.Errorf("after apply: labels %v, managedFields %+v", applied.GetLabels(), applied.GetManagedFields())
	}

	// kubectl get apiservices: upstream's columns.
	var table metav1.Table
	raw, err = rc.Get().AbsPath("/apis/apiregistration.k8s.io/v1/apiservices").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").Do(ctx).Raw()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	var columns []string
	for _, c := range table.ColumnDefinitions {
		columns = append(columns, c.Name)
	}
	rows := map[string][]interface{}{}
	for _, r := range table.Rows {
		rows[r.Cells[0].(string)] = r.Cells[1:3]
	}
	if fmt.Sprint(columns) != "[Name Service Available Age]" || fmt.Sprint(rows["v1.apps"]) != "[Local True]" ||
		fmt.Sprint(rows["v1beta1.example.com"]) != "[default/example Unknown]" {
		t.Errorf("table columns %v, rows %v", columns, rows)
	}
	for _, name := range []string{"v1beta1.example.com", "v2.example.com"} {
		if err := apiservices.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := apiservices.Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("get %s after delete: %v", name, err)
		}
	}

	// A changed spec of an APIService the server manages is put back on
	// restart; a deleted one is created again.
	apps, err := apiservices.Get(ctx, "v1.apps", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedField(apps.Object, int64(1), "spec", "versionPriority"); err != nil {
		t.Fatal(err)
	}
	if _, err := apiservices.Update(ctx, apps, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := apiservices.Delete(ctx, "v1.batch", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = testserver.Start(t, dir)
	apiservices = dynamic.NewForConfigOrDie(s.RESTConfig).Resource(apiservicesGVR)
	if apps, err = apiservices.Get(ctx, "v1.apps", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if p := apiService(t, apps).Spec.VersionPriority; p != 15 {
		t.Errorf("v1.apps versionPriority after restart = %d, want 15", p)
	}
	if _, err := apiservices.Get(ctx, "v1.batch", metav1.GetOptions{}); err != nil {
		t.Errorf("v1.batch after restart: %v", err)
	}
}
