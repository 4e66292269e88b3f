package componentstatus

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/storage"
)

// TestStorage: each component answers Healthy (True), Unhealthy (False,
// it answered badly) or Unknown (it could not be reached); an unknown
// name is not found; lists honour field selectors.
func TestStorage(t *testing.T) {
	bad := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("[-]etcd failed"))
	}))
	defer bad.Close()
	good := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer good.Close()
	s := NewWithProbes(map[string]Probe{
		"good":    HealthzProbe(good.URL + "/healthz"),
		"bad":     HealthzProbe(bad.URL + "/healthz"),
		"nowhere": func(context.Context) (string, error) { return "", errors.New("connection refused") },
	})
	ctx := context.Background()
	for name, want := range map[string]corev1.ConditionStatus{"good": corev1.ConditionTrue, "bad": corev1.ConditionFalse, "nowhere": corev1.ConditionUnknown} {
		cs := &corev1.ComponentStatus{}
		if err := s.Get(ctx, "/registry/componentstatuses/"+name, "", cs); err != nil {
			t.Fatal(err)
		}
		if cs.Name != name || len(cs.Conditions) != 1 || cs.Conditions[0].Status != want {
			t.Errorf("%s: %+v, want status %s", name, cs, want)
		}
	}
	if err := s.Get(ctx, "/registry/componentstatuses/other", "", &corev1.ComponentStatus{}); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("get other: %v", err)
	}
	list := &corev1.ComponentStatusList{}
	pred := storage.Predicate{Field: fields.OneTermEqualSelector("metadata.name", "good"),
		GetAttrs: func(obj runtime.Object) (labels.Set, fields.Set, error) {
			return nil, fields.Set{"metadata.name": obj.(*corev1.ComponentStatus).Name}, nil
		}}
	if err := s.GetList(ctx, "/registry/componentstatuses", storage.ListOptions{Predicate: pred}, list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].Name != "good" || list.Items[0].Conditions[0].Message != "ok" {
		t.Errorf("list %+v", list.Items)
	}
}
