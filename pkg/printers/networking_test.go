package printers

import (
	"reflect"
	"testing"

	certificatesv1 "k8s.io/api/certificates/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestNetworkingCSICertificatesRows checks the columns and cells of the
// networking.k8s.io, node.k8s.io, CSI and certificates.k8s.io printers
// against upstream's.
func TestNetworkingCSICertificatesRows(t *testing.T) {
	columns := map[string]string{
		"Ingress":                   "Name,Class,Hosts,Address,Ports,Age",
		"IngressClass":              "Name,Controller,Parameters,Age",
		"NetworkPolicy":             "Name,Pod-Selector,Age",
		"RuntimeClass":              "Name,Handler,Age",
		"CSINode":                   "Name,Drivers,Age",
		"CSIDriver":                 "Name,AttachRequired,PodInfoOnMount,StorageCapacity,TokenRequests,RequiresRepublish,Modes,Age",
		"VolumeAttachment":          "Name,Attacher,PV,Node,Attached,Age",
		"CertificateSigningRequest": "Name,Age,SignerName,Requestor,RequestedDuration,Condition",
	}
	rule := func(host string) networkingv1.IngressRule { return networkingv1.IngressRule{Host: host} }
	for _, tc := range []struct {
		name string
		obj  runtime.Object
		want []interface{}
	}{
		{"ingress", &networkingv1.Ingress{ObjectMeta: om("web"), Spec: networkingv1.IngressSpec{
			IngressClassName: ptr("nginx"), Rules: []networkingv1.IngressRule{rule("a.example.com"), rule("")},
			TLS: []networkingv1.IngressTLS{{Hosts: []string{"a.example.com"}}}},
			Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{
				Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: "10.0.0.9"}, {Hostname: "lb.example.com"}, {IP: "10.0.0.9"}}}}},
			[]interface{}{"web", "nginx", "a.example.com", "10.0.0.9,lb.example.com", "80, 443", "90m"}},
		{"ingress many hosts, no class", &networkingv1.Ingress{ObjectMeta: om("web"), Spec: networkingv1.IngressSpec{
			Rules: []networkingv1.IngressRule{rule("a"), rule("b"), rule("c"), rule("d"), rule("e")}}},
			[]interface{}{"web", "<none>", "a,b,c + 2 more...", "", "80", "90m"}},
		{"ingress default backend only", &networkingv1.Ingress{ObjectMeta: om("web")},
			[]interface{}{"web", "<none>", "*", "", "80", "90m"}},
		{"ingressclass default with parameters", &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "nginx",
			CreationTimestamp: ago(90 * 60e9), Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}},
			Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx", Parameters: &networkingv1.IngressClassParametersReference{
				APIGroup: ptr("k8s.example.com"), Kind: "Params", Name: "p"}}},
			[]interface{}{"nginx (default)", "k8s.io/ingress-nginx", "Params.k8s.example.com/p", "90m"}},
		{"networkpolicy", &networkingv1.NetworkPolicy{ObjectMeta: om("np"), Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}},
			[]interface{}{"np", "app=web", "90m"}},
		{"runtimeclass", &nodev1.RuntimeClass{ObjectMeta: om("gvisor"), Handler: "runsc"},
			[]interface{}{"gvisor", "runsc", "90m"}},
		{"csinode", &storagev1.CSINode{ObjectMeta: om("n1"), Spec: storagev1.CSINodeSpec{
			Drivers: []storagev1.CSINodeDriver{{Name: "a"}, {Name: "b"}}}},
			[]interface{}{"n1", int64(2), "90m"}},
		{"csidriver unset fields", &storagev1.CSIDriver{ObjectMeta: om("csi.example.com")},
			[]interface{}{"csi.example.com", true, false, false, "<unset>", false, "<none>", "90m"}},
		{"csidriver", &storagev1.CSIDriver{ObjectMeta: om("csi.example.com"), Spec: storagev1.CSIDriverSpec{
			AttachRequired: ptr(false), PodInfoOnMount: ptr(true), TokenRequests: []storagev1.TokenRequest{{Audience: "a"}, {Audience: "b"}},
			VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent, storagev1.VolumeLifecycleEphemeral}}},
			[]interface{}{"csi.example.com", false, true, false, "a,b", false, "Persistent,Ephemeral", "90m"}},
		{"volumeattachment", &storagev1.VolumeAttachment{ObjectMeta: om("va"), Spec: storagev1.VolumeAttachmentSpec{
			Attacher: "csi.example.com", NodeName: "n1", Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: ptr("pv1")}},
			Status: storagev1.VolumeAttachmentStatus{Attached: true}},
			[]interface{}{"va", "csi.example.com", "pv1", "n1", true, "90m"}},
		{"csr pending", &certificatesv1.CertificateSigningRequest{ObjectMeta: om("csr"), Spec: certificatesv1.CertificateSigningRequestSpec{
			SignerName: "kubernetes.io/kube-apiserver-client", Username: "alice", ExpirationSeconds: ptr(int32(86400))}},
			[]interface{}{"csr", "90m", "kubernetes.io/kube-apiserver-client", "alice", "24h", "Pending"}},
		{"csr approved, failed, issued", &certificatesv1.CertificateSigningRequest{ObjectMeta: om("csr"),
			Status: certificatesv1.CertificateSigningRequestStatus{Certificate: []byte("x"), Conditions: []certificatesv1.CertificateSigningRequestCondition{
				{Type: certificatesv1.CertificateApproved}, {Type: certificatesv1.CertificateFailed}}}},
			[]interface{}{"csr", "90m", "<none>", "", "<none>", "Approved,Failed,Issued"}},
		{"csr denied wins", &certificatesv1.CertificateSigningRequest{ObjectMeta: om("csr"),
			Status: certificatesv1.CertificateSigningRequestStatus{Conditions: []certificatesv1.CertificateSigningRequestCondition{
				{Type: certificatesv1.CertificateApproved}, {Type: certificatesv1.CertificateDenied}}}},
			[]interface{}{"csr", "90m", "<none>", "", "<none>", "Denied"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table, err := testGenerator().ToTable(tc.obj, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			kind := reflect.TypeOf(tc.obj).Elem().Name()
			if got := columnSpec(table.ColumnDefinitions); got != columns[kind] {
				t.Errorf("columns\n got  %s\n want %s", got, columns[kind])
			}
			if len(table.Rows) != 1 {
				t.Fatalf("got %d rows", len(table.Rows))
			}
			if got := table.Rows[0].Cells; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("cells\n got  %#v\n want %#v", got, tc.want)
			}
		})
	}
}
