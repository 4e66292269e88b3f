package volumes_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func selfSigned(t *testing.T, cn string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestClusterTrustBundle: a projection by name writes that bundle; by
// signer and selector, the matching bundles' certificates deduplicated;
// a missing bundle is an error unless optional.
func TestClusterTrustBundle(t *testing.T) {
	e := setup(t)
	a, b := selfSigned(t, "a"), selfSigned(t, "b")
	ctbs := e.s.Client.CertificatesV1().ClusterTrustBundles()
	for _, ctb := range []*certificatesv1.ClusterTrustBundle{
		{ObjectMeta: metav1.ObjectMeta{Name: "plain"}, Spec: certificatesv1.ClusterTrustBundleSpec{TrustBundle: a}},
		{ObjectMeta: metav1.ObjectMeta{Name: "example.com:signer:one", Labels: map[string]string{"trust": "yes"}},
			Spec: certificatesv1.ClusterTrustBundleSpec{SignerName: "example.com/signer", TrustBundle: a + b}},
		{ObjectMeta: metav1.ObjectMeta{Name: "example.com:signer:two", Labels: map[string]string{"trust": "yes"}},
			Spec: certificatesv1.ClusterTrustBundleSpec{SignerName: "example.com/signer", TrustBundle: b}},
		{ObjectMeta: metav1.ObjectMeta{Name: "example.com:signer:three"},
			Spec: certificatesv1.ClusterTrustBundleSpec{SignerName: "example.com/signer", TrustBundle: selfSigned(t, "unlabelled")}},
	} {
		e.must(ctbs.Create(e.ctx, ctb, metav1.CreateOptions{}))
	}
	p := pod(corev1.Volume{Name: "trust", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
		{ClusterTrustBundle: &corev1.ClusterTrustBundleProjection{Name: ptr.To("plain"), Path: "plain.pem"}},
		{ClusterTrustBundle: &corev1.ClusterTrustBundleProjection{SignerName: ptr.To("example.com/signer"),
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"trust": "yes"}}, Path: "signer.pem"}},
		{ClusterTrustBundle: &corev1.ClusterTrustBundleProjection{Name: ptr.To("absent"), Optional: ptr.To(true), Path: "absent.pem"}},
	}}}})
	if err := e.m.SetUp(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	dir := e.hostPath(p, "trust").HostPath
	if got := read(t, filepath.Join(dir, "plain.pem")); got != a {
		t.Errorf("plain.pem = %q", got)
	}
	signer := read(t, filepath.Join(dir, "signer.pem"))
	if strings.Count(signer, "BEGIN CERTIFICATE") != 2 || !strings.Contains(signer, a) || !strings.Contains(signer, b) {
		t.Errorf("signer.pem = %q, want a and b once each", signer)
	}
	if _, err := os.Stat(filepath.Join(dir, "absent.pem")); !os.IsNotExist(err) {
		t.Errorf("optional missing bundle: %v", err)
	}
	p.UID = "uid-2"
	p.Spec.Volumes[0].Projected.Sources[2].ClusterTrustBundle.Optional = nil
	if err := e.m.SetUp(e.ctx, p); err == nil || !strings.Contains(err.Error(), `clustertrustbundle "absent" not found`) {
		t.Errorf("missing bundle: %v", err)
	}
}
