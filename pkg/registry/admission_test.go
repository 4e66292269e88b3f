package registry_test

import (
	"context"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
)

// TestAdmissionOrder checks the order of the admission chain and the
// store's own allocation step on a real server: ResourceQuota runs after
// LimitRanger (it charges the requests LimitRanger filled in), and a
// service that quota refuses allocates nothing (its ClusterIP stays free).
func TestAdmissionOrder(t *testing.T) {
	s := testserver.Start(t, "")
	c, ctx := s.Client, context.Background()
	controllertest.CreateNamespace(t, c, "limited")
	controllertest.CreateNamespace(t, c, "free")

	hard := corev1.ResourceList{corev1.ResourceServices: resource.MustParse("0"), corev1.ResourceRequestsCPU: resource.MustParse("1")}
	q, err := c.CoreV1().ResourceQuotas("limited").Create(ctx, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "q"},
		Spec: corev1.ResourceQuotaSpec{Hard: hard}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// No quota controller runs here: publish status as it would.
	q.Status.Hard = hard
	q.Status.Used = corev1.ResourceList{corev1.ResourceServices: resource.MustParse("0"), corev1.ResourceRequestsCPU: resource.MustParse("0")}
	if _, err := c.CoreV1().ResourceQuotas("limited").UpdateStatus(ctx, q, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	lr := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "lr"}, Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
		Type: corev1.LimitTypeContainer, DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
	}}}}
	if _, err := c.CoreV1().LimitRanges("limited").Create(ctx, lr, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	svc := func(ns string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: ns}, Spec: corev1.ServiceSpec{
			ClusterIP: "10.0.0.77", Ports: []corev1.ServicePort{{Port: 80}}}}
	}
	if _, err := c.CoreV1().Services("limited").Create(ctx, svc("limited"), metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("service over quota: want Forbidden, got %v", err)
	}
	if _, err := c.CoreV1().Services("free").Create(ctx, svc("free"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("the refused service's ClusterIP should be free: %v", err)
	}

	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if _, err := c.CoreV1().Pods("limited").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("pod without requests under a requests.cpu quota, with a LimitRange default: %v", err)
	}
	got, err := c.CoreV1().ResourceQuotas("limited").Get(ctx, "q", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if used := got.Status.Used[corev1.ResourceRequestsCPU]; used.Cmp(resource.MustParse("100m")) != 0 {
		t.Errorf("quota charged requests.cpu %s, want the LimitRange's 100m", used.String())
	}

	if got, want := s.Registry.Admission.Names(), []string{"NamespaceLifecycle", "LimitRanger", "Priority", "RuntimeClass", "MutatingAdmissionPolicy", "ValidatingAdmissionPolicy", "ResourceQuota"}; !slices.Equal(got, want) {
		t.Errorf("admission chain %v, want %v", got, want)
	}
}
