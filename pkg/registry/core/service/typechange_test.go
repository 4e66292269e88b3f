package service_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestServiceTypeChanges: an update that changes a Service's type
// allocates what the new type needs and releases what the old one held,
// as upstream: ClusterIP → ExternalName clears clusterIP(s), ipFamilies
// and ipFamilyPolicy and frees the IP; ExternalName → NodePort allocates
// an IP and a NodePort; NodePort → ClusterIP frees the NodePort (another
// Service may take it) and clears externalTrafficPolicy. A refused update
// keeps nothing, and concurrent updates leave exactly one IP.
func TestServiceTypeChanges(t *testing.T) {
	s := testserver.Start(t, "")
	c, ctx := s.Client, context.Background()
	svcs := c.CoreV1().Services("default")
	update := func(name string, fn func(*corev1.Service)) (*corev1.Service, error) {
		t.Helper()
		cur, err := svcs.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		fn(cur)
		return svcs.Update(ctx, cur, metav1.UpdateOptions{})
	}

	svc, err := svcs.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ip := svc.Spec.ClusterIP

	// ClusterIP → ExternalName, the body still carrying the allocated values.
	ext, err := update("web", func(s *corev1.Service) {
		s.Spec.Type, s.Spec.ExternalName = corev1.ServiceTypeExternalName, "example.com"
	})
	if err != nil {
		t.Fatalf("ClusterIP → ExternalName: %v", err)
	}
	if ext.Spec.ClusterIP != "" || ext.Spec.ClusterIPs != nil || ext.Spec.IPFamilies != nil || ext.Spec.IPFamilyPolicy != nil {
		t.Errorf("ExternalName kept %q %v %v %v", ext.Spec.ClusterIP, ext.Spec.ClusterIPs, ext.Spec.IPFamilies, ext.Spec.IPFamilyPolicy)
	}
	if _, err := c.NetworkingV1().IPAddresses().Get(ctx, ip, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("IPAddress %s after → ExternalName: %v", ip, err)
	}

	// ExternalName → NodePort.
	np, err := update("web", func(s *corev1.Service) {
		s.Spec.Type, s.Spec.ExternalName = corev1.ServiceTypeNodePort, ""
	})
	if err != nil {
		t.Fatalf("ExternalName → NodePort: %v", err)
	}
	port := np.Spec.Ports[0].NodePort
	if np.Spec.ClusterIP == "" || port == 0 || len(np.Spec.IPFamilies) != 1 || np.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyCluster {
		t.Fatalf("NodePort service: clusterIP %q nodePort %d families %v etp %q", np.Spec.ClusterIP, port, np.Spec.IPFamilies, np.Spec.ExternalTrafficPolicy)
	}
	ipa, err := c.NetworkingV1().IPAddresses().Get(ctx, np.Spec.ClusterIP, metav1.GetOptions{})
	if err != nil || ipa.Spec.ParentRef == nil || ipa.Spec.ParentRef.Name != "web" {
		t.Errorf("IPAddress of %s: %v %+v", np.Spec.ClusterIP, err, ipa)
	}
	// The port is taken while web holds it.
	other := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "other"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort,
		Ports: []corev1.ServicePort{{Port: 80, NodePort: port}}}}
	if _, err := svcs.Create(ctx, other, metav1.CreateOptions{}); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "provided port is already allocated") {
		t.Fatalf("second service on nodePort %d: %v", port, err)
	}

	// NodePort → ClusterIP frees the port, keeps the IP.
	cip, err := update("web", func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeClusterIP })
	if err != nil {
		t.Fatalf("NodePort → ClusterIP: %v", err)
	}
	if cip.Spec.Ports[0].NodePort != 0 || cip.Spec.ExternalTrafficPolicy != "" || cip.Spec.ClusterIP != np.Spec.ClusterIP {
		t.Errorf("ClusterIP service: nodePort %d etp %q clusterIP %q (was %q)", cip.Spec.Ports[0].NodePort, cip.Spec.ExternalTrafficPolicy, cip.Spec.ClusterIP, np.Spec.ClusterIP)
	}
	if _, err := svcs.Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatalf("nodePort %d after web let go of it: %v", port, err)
	}

	// A refused update (the other service's port) allocates nothing:
	// web's own new port stays free for a third service.
	_, err = update("web", func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeNodePort
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "b", Port: 81, NodePort: port})
		s.Spec.Ports[0].Name, s.Spec.Ports[0].NodePort = "a", port+1
	})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("update onto a taken nodePort: %v", err)
	}
	third := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "third"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort,
		Ports: []corev1.ServicePort{{Port: 80, NodePort: port + 1}}}}
	if _, err := svcs.Create(ctx, third, metav1.CreateOptions{}); err != nil {
		t.Errorf("nodePort %d after a refused update: %v", port+1, err)
	}

	// Racing updates ExternalName → ClusterIP: the attempts that lose
	// the compare-and-swap give their IP back; one IP stays.
	if _, err := update("web", func(s *corev1.Service) {
		s.Spec.Type, s.Spec.ExternalName = corev1.ServiceTypeExternalName, "example.com"
	}); err != nil {
		t.Fatal(err)
	}
	before := ipAddressesOf(t, c, "web")
	if len(before) != 0 {
		t.Fatalf("IPAddresses of an ExternalName service: %v", before)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A merge patch carries no resourceVersion: the server
			// retries a lost compare-and-swap itself.
			patch := fmt.Sprintf(`{"metadata":{"labels":{"n":"%d"}},"spec":{"type":"ClusterIP","externalName":null}}`, i)
			_, err := svcs.Patch(ctx, "web", types.MergePatchType, []byte(patch), metav1.PatchOptions{})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	final, err := svcs.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ipAddressesOf(t, c, "web"); len(got) != 1 || got[0] != final.Spec.ClusterIP {
		t.Errorf("IPAddresses of web after racing updates: %v, its ClusterIP %q", got, final.Spec.ClusterIP)
	}
}

// ipAddressesOf lists the IPAddresses whose parent is Service default/name.
func ipAddressesOf(t *testing.T, c kubernetes.Interface, name string) []string {
	t.Helper()
	list, err := c.NetworkingV1().IPAddresses().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ipa := range list.Items {
		if r := ipa.Spec.ParentRef; r != nil && r.Resource == "services" && r.Namespace == "default" && r.Name == name {
			out = append(out, ipa.Name)
		}
	}
	return out
}
