package integration

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestServiceFieldSelectors: services select on spec.clusterIP and
// spec.type as upstream (the upstream kubelet lists services with
// spec.clusterIP!=None and retried forever when it was refused).
func TestServiceFieldSelectors(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	svcs := s.Client.CoreV1().Services("default")
	port := []corev1.ServicePort{{Port: 80}}
	for _, svc := range []*corev1.Service{
		{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{Ports: port}},
		{ObjectMeta: metav1.ObjectMeta{Name: "headless"}, Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Ports: port}},
		{ObjectMeta: metav1.ObjectMeta{Name: "np"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: port}},
	} {
		if _, err := svcs.Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	names := func(sel string) map[string]bool {
		t.Helper()
		l, err := svcs.List(ctx, metav1.ListOptions{FieldSelector: sel})
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		got := map[string]bool{}
		for _, i := range l.Items {
			got[i.Name] = true
		}
		return got
	}
	if got := names("spec.clusterIP!=None"); got["headless"] || !got["web"] || !got["np"] {
		t.Errorf("spec.clusterIP!=None listed %v", got)
	}
	if got := names("spec.type=NodePort"); len(got) != 1 || !got["np"] {
		t.Errorf("spec.type=NodePort listed %v", got)
	}
	if _, err := svcs.List(ctx, metav1.ListOptions{FieldSelector: "spec.selector=x"}); !apierrors.IsBadRequest(err) {
		t.Errorf("an unsupported field label: %v, want 400", err)
	}
}
