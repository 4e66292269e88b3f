package server

import (
	"context"
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tinykube/tinykube/pkg/registry/generic"
	"github.com/tinykube/tinykube/pkg/server/endpointreconciler"
)

// DNSServiceName is the Service in kube-system that fronts the cluster
// DNS (pkg/dns), named and labelled as upstream's kube-dns/CoreDNS addon.
const DNSServiceName = endpointreconciler.DNSServiceName

// ClusterDNSIP is the kube-dns Service's ClusterIP: the 10th address of
// the service CIDR, as kubeadm picks it (10.96.0.10 in 10.96.0.0/12).
func ClusterDNSIP(serviceCIDR string) (netip.Addr, error) {
	p, err := netip.ParsePrefix(serviceCIDR)
	if err != nil {
		return netip.Addr{}, err
	}
	a := p.Masked().Addr()
	for range 10 {
		a = a.Next()
	}
	if !p.Contains(a) {
		return netip.Addr{}, fmt.Errorf("service CIDR %s has no 10th address for the cluster DNS", serviceCIDR)
	}
	return a, nil
}

// ensureDNSService creates kube-system/kube-dns, selectorless (its
// EndpointSlice, kept by the endpoint reconciler, lists the API servers'
// DNS listeners), with port 53 over UDP and TCP to port, the DNS
// listener's. One this server made gets its target port brought up to
// date; one made by someone else (a CoreDNS addon) is left alone.
func ensureDNSService(ctx context.Context, store *generic.Store, ip netip.Addr, port int32) error {
	labels := map[string]string{"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS", "kubernetes.io/cluster-service": "true"}
	ports := []corev1.ServicePort{
		{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(port)},
		{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(port)},
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: DNSServiceName, Namespace: metav1.NamespaceSystem, Labels: labels,
			Annotations: map[string]string{managedByAnnotation: "tinykube-server"}},
		Spec: corev1.ServiceSpec{ClusterIP: ip.String(), Ports: ports},
	}
	if err := ensure(ctx, store, metav1.NamespaceSystem, svc); err != nil {
		return err
	}
	_, _, err := store.Update(ctx, metav1.NamespaceSystem, DNSServiceName, func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		s, _ := cur.(*corev1.Service)
		if s == nil || s.Annotations[managedByAnnotation] != "tinykube-server" || len(s.Spec.Ports) != len(ports) {
			return cur, nil
		}
		for i := range s.Spec.Ports {
			s.Spec.Ports[i].TargetPort = intstr.FromInt32(port)
		}
		return s, nil
	}, generic.UpdateOptions{})
	return err
}

// managedByAnnotation marks the kube-dns Service this server made.
const managedByAnnotation = "tinykube.io/managed-by"
