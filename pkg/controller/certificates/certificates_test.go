package certificates_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller/certificates"
	"github.com/tinykube/tinykube/pkg/controller/certificates/approver"
	"github.com/tinykube/tinykube/pkg/controller/certificates/signer"
	"github.com/tinykube/tinykube/pkg/controllermanager"
)

var (
	clientUsages  = []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}
	servingUsages = []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment, certificatesv1.UsageServerAuth}
)

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func request(t *testing.T, key crypto.Signer, tmpl *x509.CertificateRequest) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func nodeRequest(t *testing.T, key crypto.Signer, node string) []byte {
	return request(t, key, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:" + node, Organization: []string{"system:nodes"}}})
}

func startControllers(t *testing.T) *testserver.Server {
	t.Helper()
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	cfg := controllermanager.DefaultConfig()
	cfg.RESTConfig, cfg.LeaderElect = s.RESTConfig, false
	cfg.Controllers = []string{"csrapproving", "csrsigning"}
	cfg.ClusterSigningCA = s.PKI.CA()
	go func() { defer close(done); _ = controllermanager.Run(ctx, cfg) }()
	return s
}

func create(t *testing.T, c kubernetes.Interface, name string, req []byte, signerName string, usages []certificatesv1.KeyUsage, seconds *int32) {
	t.Helper()
	_, err := c.CertificatesV1().CertificateSigningRequests().Create(context.Background(), &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       certificatesv1.CertificateSigningRequestSpec{Request: req, SignerName: signerName, Usages: usages, ExpirationSeconds: seconds},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

func waitIssued(t *testing.T, s *testserver.Server, name string) (*certificatesv1.CertificateSigningRequest, *x509.Certificate) {
	t.Helper()
	var csr *certificatesv1.CertificateSigningRequest
	controllertest.Eventually(t, "CSR "+name+" issued", func(ctx context.Context) (bool, error) {
		var err error
		csr, err = s.Client.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
		return err == nil && len(csr.Status.Certificate) > 0, err
	})
	b, _ := pem.Decode(csr.Status.Certificate)
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: s.PKI.CAPool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("issued certificate does not chain to the cluster CA: %v", err)
	}
	return csr, cert
}

func approve(t *testing.T, c kubernetes.Interface, name string) {
	t.Helper()
	csr, err := c.CertificatesV1().CertificateSigningRequests().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
		Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "ByTest"})
	if _, err := c.CertificatesV1().CertificateSigningRequests().UpdateApproval(context.Background(), name, csr, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestRenewalAndServing: a node renewing its own client certificate is
// auto-approved as "self"; its kubelet-serving request is not, and once
// an admin approves it the signer issues a serving certificate with the
// SANs asked for and the lifetime asked for.
func TestRenewalAndServing(t *testing.T) {
	s := startControllers(t)
	// A node's first certificate, asked for by the admin (system:masters
	// may create nodeclient requests upstream too).
	key := newKey(t)
	create(t, s.Client, "first", nodeRequest(t, key, "n1"), certificatesv1.KubeAPIServerClientKubeletSignerName, clientUsages, nil)
	csr, cert := waitIssued(t, s, "first")
	if cert.Subject.CommonName != "system:node:n1" || !slices.Equal(cert.Subject.Organization, []string{"system:nodes"}) ||
		!slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) || cert.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Fatalf("certificate %v %v %v %v", cert.Subject, cert.ExtKeyUsage, cert.KeyUsage, cert.IsCA)
	}
	if c := csr.Status.Conditions[0]; c.Reason != approver.Reason || c.Message != approver.MessageNodeClient {
		t.Errorf("condition %+v", c)
	}
	if got := cert.NotAfter.Sub(cert.NotBefore); got != signer.DefaultDuration {
		t.Errorf("lifetime %s, want %s", got, signer.DefaultDuration)
	}

	// The node, as itself, renews with a 10-minute certificate.
	keyDER, _ := x509.MarshalECPrivateKey(key)
	nodeConfig := rest.CopyConfig(s.RESTConfig)
	nodeConfig.TLSClientConfig = rest.TLSClientConfig{CAData: s.PKI.CACertPEM, CertData: csr.Status.Certificate,
		KeyData: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})}
	nodeClient := kubernetes.NewForConfigOrDie(nodeConfig)
	ten := int32(600)
	create(t, nodeClient, "renew", nodeRequest(t, newKey(t), "n1"), certificatesv1.KubeAPIServerClientKubeletSignerName, clientUsages, &ten)
	csr, cert = waitIssued(t, s, "renew")
	if csr.Spec.Username != "system:node:n1" {
		t.Errorf("renewal requested by %q", csr.Spec.Username)
	}
	if c := csr.Status.Conditions[0]; c.Reason != approver.Reason || c.Message != approver.MessageSelfNode {
		t.Errorf("renewal condition %+v", c)
	}
	if got := cert.NotAfter.Sub(cert.NotBefore); got != 15*time.Minute { // 10 min + 5 min backdate
		t.Errorf("lifetime %s, want 10m after a 5m backdate", got)
	}

	// Serving: never auto-approved. A marker request made after it that
	// is auto-approved shows the approver has looked.
	serving := request(t, newKey(t), &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: "system:node:n1", Organization: []string{"system:nodes"}},
		DNSNames: []string{"n1"}, IPAddresses: []net.IP{net.IPv4(10, 1, 2, 3)}})
	create(t, nodeClient, "serving", serving, certificatesv1.KubeletServingSignerName, servingUsages, nil)
	create(t, nodeClient, "marker", nodeRequest(t, newKey(t), "n1"), certificatesv1.KubeAPIServerClientKubeletSignerName, clientUsages, nil)
	waitIssued(t, s, "marker")
	got, err := s.Client.CertificatesV1().CertificateSigningRequests().Get(context.Background(), "serving", metav1.GetOptions{})
	if err != nil || len(got.Status.Conditions) != 0 {
		t.Fatalf("serving CSR: %v, conditions %+v; want it left pending", err, got.Status.Conditions)
	}
	approve(t, s.Client, "serving")
	_, cert = waitIssued(t, s, "serving")
	if !slices.Equal(cert.DNSNames, []string{"n1"}) || len(cert.IPAddresses) != 1 || !cert.IPAddresses[0].Equal(net.IPv4(10, 1, 2, 3)) ||
		!slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || cert.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment {
		t.Errorf("serving certificate %v %v %v %v", cert.DNSNames, cert.IPAddresses, cert.ExtKeyUsage, cert.KeyUsage)
	}

	// Once Node n1 reports 10.1.2.3, n1's serving request for its own
	// name and that address is auto-approved; one naming another
	// address stays pending.
	ctx := context.Background()
	n, err := s.Client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.1.2.3"}, {Type: corev1.NodeHostName, Address: "n1"}}
	if _, err := s.Client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	foreign := request(t, newKey(t), &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: "system:node:n1", Organization: []string{"system:nodes"}},
		DNSNames: []string{"n1"}, IPAddresses: []net.IP{net.IPv4(10, 9, 9, 9)}})
	create(t, nodeClient, "serving-foreign", foreign, certificatesv1.KubeletServingSignerName, servingUsages, nil)
	create(t, nodeClient, "serving-own", serving, certificatesv1.KubeletServingSignerName, servingUsages, nil)
	csr, _ = waitIssued(t, s, "serving-own")
	if c := csr.Status.Conditions[0]; c.Reason != approver.Reason || c.Message != approver.MessageServing {
		t.Errorf("own serving request: condition %+v", c)
	}
	got, err = s.Client.CertificatesV1().CertificateSigningRequests().Get(ctx, "serving-foreign", metav1.GetOptions{})
	if err != nil || len(got.Status.Conditions) != 0 {
		t.Fatalf("serving request for another address: %v, conditions %+v; want it left pending", err, got.Status.Conditions)
	}
}

// TestSignerValidation: approved requests that break their signer's rules
// get Failed with upstream's reason and are never signed; other signers'
// requests are left alone.
func TestSignerValidation(t *testing.T) {
	s := startControllers(t)
	cases := []struct {
		name, signer string
		req          []byte
		usages       []certificatesv1.KeyUsage
		want         string
	}{
		{"client-server-usage", certificatesv1.KubeAPIServerClientSignerName,
			request(t, newKey(t), &x509.CertificateRequest{Subject: pkix.Name{CommonName: "alice"}}),
			[]certificatesv1.KeyUsage{certificatesv1.UsageClientAuth, certificatesv1.UsageServerAuth}, "invalid usage for client certificate: server auth"},
		{"kubelet-client-wrong-org", certificatesv1.KubeAPIServerClientKubeletSignerName,
			request(t, newKey(t), &x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:x", Organization: []string{"admins"}}}),
			clientUsages, "subject organization is not system:nodes"},
		{"kubelet-client-ip-san", certificatesv1.KubeAPIServerClientKubeletSignerName,
			request(t, newKey(t), &x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:x", Organization: []string{"system:nodes"}}, IPAddresses: []net.IP{net.IPv4(1, 2, 3, 4)}}),
			clientUsages, "IP subjectAltNames are not allowed"},
		{"serving-no-san", certificatesv1.KubeletServingSignerName,
			nodeRequest(t, newKey(t), "x"), servingUsages, "DNS or IP subjectAltName is required"},
		{"serving-client-usage", certificatesv1.KubeletServingSignerName,
			request(t, newKey(t), &x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:x", Organization: []string{"system:nodes"}}, DNSNames: []string{"x"}}),
			clientUsages, "usages did not match"},
	}
	for _, tc := range cases {
		create(t, s.Client, tc.name, tc.req, tc.signer, tc.usages, nil)
		approve(t, s.Client, tc.name)
	}
	for _, tc := range cases {
		controllertest.Eventually(t, tc.name+" Failed", func(ctx context.Context) (bool, error) {
			csr, err := s.Client.CertificatesV1().CertificateSigningRequests().Get(ctx, tc.name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			for _, c := range csr.Status.Conditions {
				if c.Type == certificatesv1.CertificateFailed {
					if c.Reason != signer.ReasonValidationFailure || len(csr.Status.Certificate) != 0 {
						t.Errorf("%s: %+v, certificate %d bytes", tc.name, c, len(csr.Status.Certificate))
					}
					if !strings.Contains(c.Message, tc.want) {
						t.Errorf("%s: message %q, want %q", tc.name, c.Message, tc.want)
					}
					return true, nil
				}
			}
			return false, nil
		})
	}
	// A valid kube-apiserver-client request is signed.
	create(t, s.Client, "alice", request(t, newKey(t), &x509.CertificateRequest{Subject: pkix.Name{CommonName: "alice", Organization: []string{"devs"}}}),
		certificatesv1.KubeAPIServerClientSignerName, []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth}, nil)
	approve(t, s.Client, "alice")
	if _, cert := waitIssued(t, s, "alice"); cert.Subject.CommonName != "alice" {
		t.Errorf("subject %v", cert.Subject)
	}
}

// TestDecide: which requests the approver takes, and with which message.
func TestDecide(t *testing.T) {
	key := newKey(t)
	node := nodeRequest(t, key, "n1")
	mk := func(user string, groups []string, signerName string, req []byte, usages []certificatesv1.KeyUsage) *certificatesv1.CertificateSigningRequest {
		return &certificatesv1.CertificateSigningRequest{Spec: certificatesv1.CertificateSigningRequestSpec{
			Username: user, Groups: groups, SignerName: signerName, Request: req, Usages: usages}}
	}
	boot := []string{"system:bootstrappers", "system:authenticated"}
	nodes := []string{"system:nodes", "system:authenticated"}
	cases := []struct {
		name string
		csr  *certificatesv1.CertificateSigningRequest
		want string // "" = not approved
	}{
		{"bootstrapper", mk("system:bootstrap:abcdef", boot, certificatesv1.KubeAPIServerClientKubeletSignerName, node, clientUsages), approver.MessageNodeClient},
		{"self renewal", mk("system:node:n1", nodes, certificatesv1.KubeAPIServerClientKubeletSignerName, node, clientUsages), approver.MessageSelfNode},
		{"another node's name", mk("system:node:n2", nodes, certificatesv1.KubeAPIServerClientKubeletSignerName, node, clientUsages), ""},
		{"ordinary user", mk("bob", []string{"system:authenticated"}, certificatesv1.KubeAPIServerClientKubeletSignerName, node, clientUsages), ""},
		{"bootstrapper, serving signer", mk("system:bootstrap:abcdef", boot, certificatesv1.KubeletServingSignerName, node, servingUsages), ""},
		{"bootstrapper, server usage", mk("system:bootstrap:abcdef", boot, certificatesv1.KubeAPIServerClientKubeletSignerName, node,
			[]certificatesv1.KeyUsage{certificatesv1.UsageClientAuth, certificatesv1.UsageServerAuth}), ""},
		{"bootstrapper, not a node", mk("system:bootstrap:abcdef", boot, certificatesv1.KubeAPIServerClientKubeletSignerName,
			request(t, key, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "admin", Organization: []string{"system:nodes"}}}), clientUsages), ""},
	}
	for _, tc := range cases {
		msg, ok, err := approver.Decide(tc.csr, nil)
		if err != nil || msg != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: %q %v %v, want %q", tc.name, msg, ok, err, tc.want)
		}
	}
	denied := mk("system:bootstrap:abcdef", boot, certificatesv1.KubeAPIServerClientKubeletSignerName, node, clientUsages)
	denied.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{{Type: certificatesv1.CertificateDenied, Status: corev1.ConditionTrue}}
	if _, ok, _ := approver.Decide(denied, nil); ok || certificates.IsApproved(denied) {
		t.Error("a denied request was approved")
	}
	garbage := mk("system:bootstrap:abcdef", boot, certificatesv1.KubeAPIServerClientKubeletSignerName, []byte("junk"), clientUsages)
	if _, ok, err := approver.Decide(garbage, nil); ok || err == nil {
		t.Errorf("unparsable request: ok=%v err=%v", ok, err)
	}
}
