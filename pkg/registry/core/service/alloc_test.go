package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/registry/core/service"
)

// TestClusterIPsAreIPAddresses: allocating a ClusterIP creates its
// IPAddress (name = IP, parentRef = the Service, upstream's labels),
// deleting the Service deletes it, an IP held by an IPAddress — the
// kubernetes Service's, or one created by hand — is refused, and a dry
// run creates nothing.
func TestClusterIPsAreIPAddresses(t *testing.T) {
	s := testserver.Start(t, "")
	c, ctx := s.Client, context.Background()

	// The kubernetes Service's IP was allocated at bootstrap.
	k, err := c.NetworkingV1().IPAddresses().Get(ctx, "10.0.0.1", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("kubernetes service's IPAddress: %v", err)
	}
	if r := k.Spec.ParentRef; r == nil || r.Resource != "services" || r.Namespace != "default" || r.Name != "kubernetes" {
		t.Errorf("kubernetes IPAddress parent %+v", k.Spec.ParentRef)
	}

	svc, err := c.CoreV1().Services("default").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ipa, err := c.NetworkingV1().IPAddresses().Get(ctx, svc.Spec.ClusterIP, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("IPAddress of %s: %v", svc.Spec.ClusterIP, err)
	}
	if ipa.Labels[networkingv1.LabelIPAddressFamily] != "IPv4" || ipa.Labels[networkingv1.LabelManagedBy] != service.ManagedBy ||
		ipa.Spec.ParentRef == nil || ipa.Spec.ParentRef.Name != "web" || ipa.Spec.ParentRef.Namespace != "default" ||
		ipa.Spec.ParentRef.Resource != "services" || ipa.Spec.ParentRef.Group != "" {
		t.Errorf("IPAddress %+v", ipa)
	}

	taken := func(name, ip string) {
		t.Helper()
		_, err := c.CoreV1().Services("default").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.ServiceSpec{ClusterIP: ip, Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "provided IP is already allocated") {
			t.Errorf("service on taken %s: %v", ip, err)
		}
	}
	taken("dup", svc.Spec.ClusterIP)
	taken("dup", "10.0.0.1")
	// An IPAddress made by hand takes its IP too.
	manual := &networkingv1.IPAddress{ObjectMeta: metav1.ObjectMeta{Name: "10.0.0.200"},
		Spec: networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{Resource: "services", Namespace: "default", Name: "elsewhere"}}}
	if _, err := c.NetworkingV1().IPAddresses().Create(ctx, manual, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	taken("dup", "10.0.0.200")

	// A dry run allocates nothing.
	dry, err := c.CoreV1().Services("default").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "dry"},
		Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.201", Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil || dry.Spec.ClusterIP != "10.0.0.201" {
		t.Fatalf("dry run: %v", err)
	}
	if _, err := c.NetworkingV1().IPAddresses().Get(ctx, "10.0.0.201", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("dry run left an IPAddress: %v", err)
	}

	// Deleting the Service releases its IP: the IPAddress goes, the IP
	// can be had again.
	if err := c.CoreV1().Services("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := c.NetworkingV1().IPAddresses().Get(ctx, svc.Spec.ClusterIP, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Fatalf("IPAddress of deleted service remains: %v", err)
	}
	again, err := c.CoreV1().Services("default").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "again"},
		Spec: corev1.ServiceSpec{ClusterIP: svc.Spec.ClusterIP, Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
	if err != nil || again.Spec.ClusterIP != svc.Spec.ClusterIP {
		t.Fatalf("released IP not reusable: %v", err)
	}
	// The hand-made IPAddress is not the allocator's to release.
	if _, err := c.NetworkingV1().IPAddresses().Get(ctx, "10.0.0.200", metav1.GetOptions{}); err != nil {
		t.Errorf("hand-made IPAddress: %v", err)
	}
}
