package integration

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/api"
)

// upstreamFixture is what upstream kube-apiserver v1.37.2 wrote to etcd
// (every /registry key, its value as stored: protobuf, or JSON for CRDs,
// APIServices and custom resources) after one object of every resource
// tinykube serves, a CRD and one of its custom resources were created
// through it, and how it served each of those objects.
// TestGenerateUpstreamFixture writes it; TestUpstreamWrittenEtcd reads it.
const upstreamFixture = "testdata/upstream-v1.37.2-etcd.json.gz"

type etcdFixture struct {
	// Values: etcd key → stored bytes.
	Values map[string][]byte `json:"values"`
	// Served: "group/resource/ns/name" → the object upstream's GET answered.
	Served map[string]map[string]any `json:"served"`
}

// TestUpstreamWrittenEtcd: tinykube starts on an etcd upstream
// kube-apiserver wrote and serves every object in it as upstream served
// it (resourceVersion aside): built-ins stored as protobuf, CRDs stored
// as apiextensions.k8s.io/v1beta1 JSON, APIServices as JSON, custom
// resources as JSON.
func TestUpstreamWrittenEtcd(t *testing.T) {
	fx := readFixture(t)
	dir := t.TempDir()
	s := testserver.Start(t, dir)
	ctx := context.Background()
	// Upstream's objects replace what tinykube bootstrapped.
	for k, v := range fx.Values {
		if _, err := s.EtcdClient().Put(ctx, k, string(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = testserver.Start(t, dir)
	dyn := dynamic.NewForConfigOrDie(s.RESTConfig)

	// Every stored resource lists (nothing in etcd fails to decode).
	for _, r := range api.Resources {
		if !r.Stored() {
			continue
		}
		if _, err := dyn.Resource(r.GVR()).List(ctx, metav1.ListOptions{}); err != nil && !apierrors.IsMethodNotSupported(err) {
			t.Errorf("list %s: %v", r.GVR(), err)
		}
	}
	// The CRD upstream stored is served, and so is its custom resource.
	ext := apiextensionsclient.NewForConfigOrDie(s.RESTConfig)
	if err := waitFor(ctx, func() bool {
		crd, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "widgets.example.com", metav1.GetOptions{})
		if err != nil {
			return false
		}
		for _, c := range crd.Status.Conditions {
			if c.Type == "Established" && c.Status == "True" {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("upstream's CRD not established: %v", err)
	}

	keys := make([]string, 0, len(fx.Served))
	for k := range fx.Served {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		want := fx.Served[k]
		gvr, ns, name := parseServedKey(t, k, want)
		var got *unstructured.Unstructured
		err := waitFor(ctx, func() bool {
			var err error
			got, err = dyn.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
			return err == nil
		})
		if err != nil {
			t.Errorf("%s: not served: %v", k, err)
			continue
		}
		g, w := comparable(got.Object), comparable(want)
		if !equality.Semantic.DeepEqual(g, w) {
			t.Errorf("%s differs from upstream's: %s", k, strings.Join(diffPaths("", g, w), "; "))
		}
	}
}

// comparable drops what cannot match across two servers: the
// resourceVersion (etcd's revision of the copy). Both sides go through
// one JSON round trip, so numbers compare alike.
func comparable(obj map[string]any) map[string]any {
	b, _ := json.Marshal(obj)
	obj = map[string]any{}
	_ = json.Unmarshal(b, &obj)
	out := map[string]any{}
	for k, v := range obj {
		out[k] = v
	}
	if m, ok := obj["metadata"].(map[string]any); ok {
		mm := map[string]any{}
		for k, v := range m {
			if k != "resourceVersion" {
				mm[k] = v
			}
		}
		out["metadata"] = mm
	}
	return out
}

// diffPaths lists where got and want differ, as JSON paths with both
// values.
func diffPaths(path string, got, want any) []string {
	g, gok := got.(map[string]any)
	w, wok := want.(map[string]any)
	if gok && wok {
		var out []string
		keys := map[string]bool{}
		for k := range g {
			keys[k] = true
		}
		for k := range w {
			keys[k] = true
		}
		for k := range keys {
			out = append(out, diffPaths(path+"."+k, g[k], w[k])...)
		}
		sort.Strings(out)
		return out
	}
	if equality.Semantic.DeepEqual(got, want) {
		return nil
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	return []string{path + ": got " + string(gb) + ", upstream " + string(wb)}
}

func parseServedKey(t *testing.T, k string, obj map[string]any) (schema.GroupVersionResource, string, string) {
	t.Helper()
	parts := strings.Split(k, "/")
	if len(parts) != 4 {
		t.Fatalf("bad key %q", k)
	}
	gv, err := schema.ParseGroupVersion(obj["apiVersion"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return gv.WithResource(parts[1]), parts[2], parts[3]
}

func waitFor(ctx context.Context, ok func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for !ok() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

func readFixture(t *testing.T) *etcdFixture {
	t.Helper()
	f, err := os.Open(upstreamFixture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	fx := &etcdFixture{}
	if err := json.NewDecoder(zr).Decode(fx); err != nil {
		t.Fatal(err)
	}
	if len(fx.Values) == 0 || len(fx.Served) == 0 {
		t.Fatal("empty fixture")
	}
	return fx
}

// TestGenerateUpstreamFixture writes upstreamFixture from a running
// upstream kube-apiserver v1.37.2 and its etcd (started by the shared
// baseline tooling): TINYKUBE_UPSTREAM_KUBECONFIG and
// TINYKUBE_UPSTREAM_ETCD (its client URL). It creates one object of
// every resource tinykube stores (the fixtures of fixtures_test.go), a
// CRD and a custom resource, and records etcd's /registry keys and
// upstream's answers. Skipped unless both are set.
func TestGenerateUpstreamFixture(t *testing.T) {
	kc, etcdURL := os.Getenv("TINYKUBE_UPSTREAM_KUBECONFIG"), os.Getenv("TINYKUBE_UPSTREAM_ETCD")
	if kc == "" || etcdURL == "" {
		t.Skip("set TINYKUBE_UPSTREAM_KUBECONFIG and TINYKUBE_UPSTREAM_ETCD to regenerate " + upstreamFixture)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dyn := dynamic.NewForConfigOrDie(cfg)
	nsGVR := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	if _, err := dyn.Resource(nsGVR).Create(ctx, fixture(t, mustLookup(t, nsGVR), "", "interop"), metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(nsGVR).Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "crd"}}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	// No controllers run upstream: the pods' ServiceAccount by hand.
	saGVR := schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
	if _, err := dyn.Resource(saGVR).Namespace("interop").Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "default"}}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	served := map[string]map[string]any{}
	record := func(gvr schema.GroupVersionResource, ns, name string) {
		got, err := dyn.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("get %s %s/%s: %v", gvr, ns, name, err)
			return
		}
		served[gvr.Group+"/"+gvr.Resource+"/"+ns+"/"+name] = got.Object
	}
	for _, r := range api.Resources {
		if !r.Stored() || r.GVR() == nsGVR {
			continue
		}
		if _, ok := manifests[resourceKey(r)]; !ok {
			continue
		}
		ns := ""
		if r.Namespaced {
			ns = "interop"
		}
		obj := fixture(t, r, ns, "interop")
		if _, err := dyn.Resource(r.GVR()).Namespace(ns).Create(ctx, obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Logf("upstream refused %s: %v", r.GVR(), err)
			continue
		}
	}
	ext := apiextensionsclient.NewForConfigOrDie(cfg)
	crd := widgetCRD()
	for i := range crd.Spec.Versions {
		crd.Spec.Versions[i].SelectableFields = nil // upstream refuses the ones widgetCRD has
	}
	if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if err := waitFor(ctx, func() bool {
		_, err := dyn.Resource(widgetsGVR).Namespace("crd").Create(ctx, widget("interop", map[string]any{"replicas": int64(2), "color": "red"}), metav1.CreateOptions{})
		return err == nil || apierrors.IsAlreadyExists(err)
	}); err != nil {
		t.Fatal(err)
	}
	// Let controllers-free writes settle, then record what upstream serves.
	time.Sleep(2 * time.Second)
	for _, r := range api.Resources {
		if !r.Stored() {
			continue
		}
		ns := ""
		if r.Namespaced {
			ns = "interop"
		}
		if _, err := dyn.Resource(r.GVR()).Namespace(ns).Get(ctx, "interop", metav1.GetOptions{}); err == nil {
			record(r.GVR(), ns, "interop")
		}
	}
	record(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}, "", "widgets.example.com")
	record(widgetsGVR, "crd", "interop")
	for _, name := range []string{"v1.apps", "v1."} {
		record(schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}, "", name)
	}

	ec, err := clientv3.New(clientv3.Config{Endpoints: []string{etcdURL}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	resp, err := ec.Get(ctx, "/registry/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	fx := etcdFixture{Values: map[string][]byte{}, Served: served}
	for _, kv := range resp.Kvs {
		fx.Values[string(kv.Key)] = kv.Value
	}
	out := upstreamFixture
	if o := os.Getenv("TINYKUBE_FIXTURE_OUT"); o != "" {
		out = o // e.g. the same objects written through tinykube, for upstream to read
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	if err := json.NewEncoder(zw).Encode(fx); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: %d keys, %d served objects", out, len(fx.Values), len(served))
}

func mustLookup(t *testing.T, gvr schema.GroupVersionResource) api.Resource {
	r, ok := api.Lookup(gvr)
	if !ok {
		t.Fatalf("%v not served", gvr)
	}
	return r
}
