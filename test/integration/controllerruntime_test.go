package integration

import (
	"context"
	"net/http"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrlclient "sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/api"
)

// contentTypes records the Content-Type of every request with a body.
type contentTypes struct {
	mu   sync.Mutex
	seen map[string]int
}

func (c *contentTypes) wrap(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if ct := req.Header.Get("Content-Type"); ct != "" {
				c.mu.Lock()
				c.seen[req.Method+" "+mediaType(ct)]++
				c.mu.Unlock()
			}
			return rt.RoundTrip(req)
		})
	})
	return cfg
}

func mediaType(ct string) string {
	for i := range len(ct) {
		if ct[i] == ';' {
			return ct[:i]
		}
	}
	return ct
}

// TestControllerRuntimeClient creates, updates, patches and deletes a
// ConfigMap and a Deployment with controller-runtime's client, which
// sends protobuf bodies for built-in types.
func TestControllerRuntimeClient(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	cts := &contentTypes{seen: map[string]int{}}
	cfg := cts.wrap(s.RESTConfig)
	// cfg.ContentType unset: controller-runtime picks protobuf for built-in types.
	c, err := ctrlclient.New(cfg, ctrlclient.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cr", Namespace: "default", Labels: map[string]string{"a": "b"}},
		Data: map[string]string{"k": "v"}}
	if err := c.Create(ctx, cm); err != nil {
		t.Fatalf("create ConfigMap: %v", err)
	}
	if cm.UID == "" || cm.ResourceVersion == "" {
		t.Fatalf("create did not fill server metadata: %+v", cm.ObjectMeta)
	}
	cm.Data["k"] = "v2"
	if err := c.Update(ctx, cm); err != nil {
		t.Fatalf("update ConfigMap: %v", err)
	}
	got := &corev1.ConfigMap{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: "default", Name: "cr"}, got); err != nil || got.Data["k"] != "v2" {
		t.Fatalf("get after update: %v %v", err, got.Data)
	}
	base := got.DeepCopy()
	got.Data["k2"] = "v3"
	if err := c.Patch(ctx, got, ctrlclient.MergeFrom(base)); err != nil {
		t.Fatalf("merge patch ConfigMap: %v", err)
	}
	list := &corev1.ConfigMapList{}
	if err := c.List(ctx, list, ctrlclient.InNamespace("default"), ctrlclient.MatchingLabels{"a": "b"}); err != nil || len(list.Items) != 1 {
		t.Fatalf("list: %v, %d items", err, len(list.Items))
	}
	if err := c.Delete(ctx, got); err != nil {
		t.Fatalf("delete ConfigMap: %v", err)
	}
	if err := c.Get(ctx, types.NamespacedName{Namespace: "default", Name: "cr"}, got); !apierrors.IsNotFound(err) {
		t.Fatalf("after delete: %v", err)
	}

	r, _ := api.Lookup(appsv1.SchemeGroupVersion.WithResource("deployments"))
	dep := &appsv1.Deployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(fixture(t, r, "default", "cr").Object, dep); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, dep); err != nil {
		t.Fatalf("create Deployment: %v", err)
	}
	if dep.Generation != 1 || dep.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType {
		t.Errorf("created Deployment not defaulted: generation %d strategy %q", dep.Generation, dep.Spec.Strategy.Type)
	}
	dep.Spec.Replicas = ptr(int32(3))
	if err := c.Update(ctx, dep); err != nil {
		t.Fatalf("update Deployment: %v", err)
	}
	if dep.Generation != 2 {
		t.Errorf("generation after spec update = %d", dep.Generation)
	}
	dep.Status.ObservedGeneration = 2
	if err := c.Status().Update(ctx, dep); err != nil {
		t.Fatalf("update Deployment status: %v", err)
	}
	if err := c.Delete(ctx, dep, ctrlclient.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil {
		t.Fatalf("delete Deployment: %v", err)
	}

	cts.mu.Lock()
	defer cts.mu.Unlock()
	for _, verb := range []string{"POST", "PUT"} {
		if cts.seen[verb+" "+runtime.ContentTypeProtobuf] == 0 {
			t.Errorf("no %s with a protobuf body was sent; content types seen: %v", verb, cts.seen)
		}
	}
}
