package validation

import (
	"testing"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TestNetworkingStorageCertificatesRules: each case breaks one rule of a
// valid object and expects the error upstream reports, at its path.
func TestNetworkingStorageCertificatesRules(t *testing.T) {
	meta := func(ns string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: "x", Namespace: ns} }
	ingress := func(edit func(*networkingv1.IngressSpec)) runtime.Object {
		s := networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "web.example.com",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: ptr(networkingv1.PathTypePrefix), Backend: networkingv1.IngressBackend{
					Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}}}}}}}}}
		edit(&s)
		return &networkingv1.Ingress{ObjectMeta: meta("ns"), Spec: s}
	}
	netpol := func(edit func(*networkingv1.NetworkPolicySpec)) runtime.Object {
		s := networkingv1.NetworkPolicySpec{}
		edit(&s)
		return &networkingv1.NetworkPolicy{ObjectMeta: meta("ns"), Spec: s}
	}
	csr := func(edit func(*certificatesv1.CertificateSigningRequestSpec)) runtime.Object {
		s := certificatesv1.CertificateSigningRequestSpec{Request: []byte("-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"),
			SignerName: "example.com/signer", Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth}}
		edit(&s)
		return &certificatesv1.CertificateSigningRequest{ObjectMeta: meta(""), Spec: s}
	}
	for _, tc := range []struct {
		name  string
		obj   runtime.Object
		field string
		typ   field.ErrorType
	}{
		{"ingress without rules or default backend", ingress(func(s *networkingv1.IngressSpec) { s.Rules = nil }),
			"spec", field.ErrorTypeInvalid},
		{"ingress IP host", ingress(func(s *networkingv1.IngressSpec) { s.Rules[0].Host = "10.0.0.1" }),
			"spec.rules[0].host", field.ErrorTypeInvalid},
		{"ingress path type missing", ingress(func(s *networkingv1.IngressSpec) { s.Rules[0].HTTP.Paths[0].PathType = nil }),
			"spec.rules[0].http.paths[0].pathType", field.ErrorTypeRequired},
		{"ingress relative prefix path", ingress(func(s *networkingv1.IngressSpec) { s.Rules[0].HTTP.Paths[0].Path = "api" }),
			"spec.rules[0].http.paths[0].path", field.ErrorTypeInvalid},
		{"ingress backend port missing", ingress(func(s *networkingv1.IngressSpec) {
			s.Rules[0].HTTP.Paths[0].Backend.Service.Port = networkingv1.ServiceBackendPort{}
		}), "spec.rules[0].http.paths[0].backend.service.port", field.ErrorTypeRequired},
		{"ingressclass controller not a domain path", &networkingv1.IngressClass{ObjectMeta: meta(""),
			Spec: networkingv1.IngressClassSpec{Controller: "nginx"}}, "spec.controller", field.ErrorTypeInvalid},
		{"ingressclass namespace with cluster scope", &networkingv1.IngressClass{ObjectMeta: meta(""),
			Spec: networkingv1.IngressClassSpec{Controller: "example.com/c", Parameters: &networkingv1.IngressClassParametersReference{
				Kind: "K", Name: "n", Scope: ptr("Cluster"), Namespace: ptr("ns")}}}, "spec.parameters.namespace", field.ErrorTypeForbidden},
		{"networkpolicy bad protocol", netpol(func(s *networkingv1.NetworkPolicySpec) {
			s.Ingress = []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Protocol: ptr(corev1.Protocol("ICMP"))}}}}
		}), "spec.ingress[0].ports[0].protocol", field.ErrorTypeNotSupported},
		{"networkpolicy endPort below port", netpol(func(s *networkingv1.NetworkPolicySpec) {
			s.Egress = []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: ptr(intstr.FromInt32(80)), EndPort: ptr(int32(79))}}}}
		}), "spec.egress[0].ports[0].endPort", field.ErrorTypeInvalid},
		{"networkpolicy ipBlock with selector", netpol(func(s *networkingv1.NetworkPolicySpec) {
			s.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
				IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}, PodSelector: &metav1.LabelSelector{}}}}}
		}), "spec.ingress[0].from[0]", field.ErrorTypeForbidden},
		{"networkpolicy bad policy type", netpol(func(s *networkingv1.NetworkPolicySpec) {
			s.PolicyTypes = []networkingv1.PolicyType{"Both"}
		}), "spec.policyTypes[0]", field.ErrorTypeNotSupported},
		{"runtimeclass handler not a label", &nodev1.RuntimeClass{ObjectMeta: meta(""), Handler: "Run.C"},
			"handler", field.ErrorTypeInvalid},
		{"csidriver bad fsGroupPolicy", &storagev1.CSIDriver{ObjectMeta: meta(""), Spec: storagev1.CSIDriverSpec{
			AttachRequired: ptr(true), FSGroupPolicy: ptr(storagev1.FSGroupPolicy("Sometimes"))}},
			"spec.fsGroupPolicy", field.ErrorTypeNotSupported},
		{"csinode duplicate driver", &storagev1.CSINode{ObjectMeta: meta(""), Spec: storagev1.CSINodeSpec{Drivers: []storagev1.CSINodeDriver{
			{Name: "csi.example.com", NodeID: "n1"}, {Name: "csi.example.com", NodeID: "n1"}}}},
			"spec.drivers[1].name", field.ErrorTypeDuplicate},
		{"volumeattachment without source", &storagev1.VolumeAttachment{ObjectMeta: meta(""), Spec: storagev1.VolumeAttachmentSpec{
			Attacher: "csi.example.com", NodeName: "n1"}}, "spec.source", field.ErrorTypeRequired},
		{"csr request not PEM", csr(func(s *certificatesv1.CertificateSigningRequestSpec) { s.Request = []byte("nope") }),
			"spec.request", field.ErrorTypeInvalid},
		{"csr signer without path", csr(func(s *certificatesv1.CertificateSigningRequestSpec) { s.SignerName = "example.com" }),
			"spec.signerName", field.ErrorTypeInvalid},
		{"csr duplicate usage", csr(func(s *certificatesv1.CertificateSigningRequestSpec) {
			s.Usages = []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth, certificatesv1.UsageClientAuth}
		}), "spec.usages[1]", field.ErrorTypeDuplicate},
		{"csr short expiration", csr(func(s *certificatesv1.CertificateSigningRequestSpec) { s.ExpirationSeconds = ptr(int32(60)) }),
			"spec.expirationSeconds", field.ErrorTypeInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if errs := ValidateCreate(tc.obj); !hasError(errs, tc.field, tc.typ) {
				t.Errorf("want %s at %s, got %v", tc.typ, tc.field, errs)
			}
		})
	}
}

func TestNetworkingStorageImmutableFields(t *testing.T) {
	rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "x", ResourceVersion: "1"}, Handler: "runc"}
	rc2 := rc.DeepCopy()
	rc2.Handler = "runsc"
	if errs := ValidateUpdate(rc2, rc); !hasError(errs, "handler", field.ErrorTypeInvalid) {
		t.Errorf("runtimeclass handler change: %v", errs)
	}
	va := &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: "x", ResourceVersion: "1"}, Spec: storagev1.VolumeAttachmentSpec{
		Attacher: "csi.example.com", NodeName: "n1", Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: ptr("pv")}}}
	va2 := va.DeepCopy()
	va2.Spec.NodeName = "n2"
	if errs := ValidateUpdate(va2, va); !hasError(errs, "spec", field.ErrorTypeInvalid) {
		t.Errorf("volumeattachment spec change: %v", errs)
	}
	ic := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "x", ResourceVersion: "1"}, Spec: networkingv1.IngressClassSpec{Controller: "example.com/a"}}
	ic2 := ic.DeepCopy()
	ic2.Spec.Controller = "example.com/b"
	if errs := ValidateUpdate(ic2, ic); !hasError(errs, "spec.controller", field.ErrorTypeInvalid) {
		t.Errorf("ingressclass controller change: %v", errs)
	}
}

func TestIngressStatus(t *testing.T) {
	old := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "ns", ResourceVersion: "1"}}
	ing := old.DeepCopy()
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "10.0.0.1"}, {IP: "nope"}, {Hostname: "10.0.0.2"}}
	errs := ValidateStatusUpdate(ing, old)
	if !hasError(errs, "status.loadBalancer.ingress[1].ip", field.ErrorTypeInvalid) ||
		!hasError(errs, "status.loadBalancer.ingress[2].hostname", field.ErrorTypeInvalid) || len(errs) != 2 {
		t.Errorf("got %v", errs)
	}
}
