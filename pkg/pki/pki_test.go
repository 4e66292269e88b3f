package pki

import (
	"bytes"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
)

func TestEnsureGeneratesFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	start := time.Now()
	b, err := Ensure(dir, Options{ExtraSANs: []string{"192.168.1.10", "api.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generation took %v", time.Since(start))

	for name, mode := range map[string]os.FileMode{
		CACertFile: 0o644, CAKeyFile: 0o600,
		ServingCertFile: 0o644, ServingKeyFile: 0o600,
		AdminCertFile: 0o644, AdminKeyFile: 0o600,
		ServiceAccountKey: 0o600, ServiceAccountPub: 0o644,
	} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != mode {
			t.Errorf("%s mode = %v, want %v", name, got, mode)
		}
	}

	serving, err := x509.ParseCertificate(b.ServingCert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"127.0.0.1", "::1", "10.0.0.1", "192.168.1.10", "localhost",
		"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "api.example.com"} {
		if _, err := serving.Verify(x509.VerifyOptions{Roots: b.CAPool, DNSName: host}); err != nil {
			t.Errorf("serving cert not valid for %s: %v", host, err)
		}
	}

	admin, err := parseCert(b.AdminCertPEM)
	if err != nil {
		t.Fatal(err)
	}
	if admin.Subject.CommonName != AdminUser || len(admin.Subject.Organization) != 1 || admin.Subject.Organization[0] != AdminGroup {
		t.Errorf("admin subject = %v", admin.Subject)
	}
	if _, err := admin.Verify(x509.VerifyOptions{Roots: b.CAPool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("admin cert: %v", err)
	}
	if b.ServiceAccountKey == nil || len(b.ServiceAccountPublicKeyPEM) == 0 {
		t.Error("no service-account key")
	}
}

func TestEnsureReuses(t *testing.T) {
	dir := t.TempDir()
	first, err := Ensure(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	second, err := Ensure(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("load took %v", time.Since(start))
	for _, c := range []struct {
		name      string
		old, next []byte
	}{
		{"ca.crt", first.CACertPEM, second.CACertPEM},
		{"apiserver.crt", first.ServingCertPEM, second.ServingCertPEM},
		{"admin.crt", first.AdminCertPEM, second.AdminCertPEM},
		{"sa.key", first.ServiceAccountKeyPEM, second.ServiceAccountKeyPEM},
	} {
		if !bytes.Equal(c.old, c.next) {
			t.Errorf("%s changed on second Ensure", c.name)
		}
	}

	// A new SAN replaces only the serving certificate.
	third, err := Ensure(dir, Options{ExtraSANs: []string{"10.1.2.3"}})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(third.ServingCertPEM, first.ServingCertPEM) {
		t.Error("serving cert not regenerated for new SAN")
	}
	if !bytes.Equal(third.CACertPEM, first.CACertPEM) || !bytes.Equal(third.AdminCertPEM, first.AdminCertPEM) {
		t.Error("CA or admin cert changed when only a SAN was added")
	}
	serving, _ := parseCert(third.ServingCertPEM)
	if !coversSANs(serving, []net.IP{net.ParseIP("10.1.2.3")}, nil) {
		t.Error("new SAN missing")
	}
}

func TestEnsureRenewsExpiringLeaves(t *testing.T) {
	dir := t.TempDir()
	first, err := Ensure(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	later := func() time.Time { return time.Now().Add(leafValidity - renewBefore/2) }
	second, err := Ensure(dir, Options{Now: later})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(first.AdminCertPEM, second.AdminCertPEM) || bytes.Equal(first.ServingCertPEM, second.ServingCertPEM) {
		t.Error("leaves near expiry were not renewed")
	}
	if !bytes.Equal(first.CACertPEM, second.CACertPEM) {
		t.Error("CA changed")
	}
}

func TestEnsureRefusesHalfCA(t *testing.T) {
	dir := t.TempDir()
	if _, err := Ensure(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, CAKeyFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Ensure(dir, Options{}); err == nil {
		t.Fatal("Ensure with ca.crt but no ca.key succeeded")
	}
}

func TestWriteKubeconfig(t *testing.T) {
	dir := t.TempDir()
	b, err := Ensure(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "admin.kubeconfig")
	if err := b.WriteKubeconfig(path, "https://127.0.0.1:6443", ""); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig mode = %v", fi.Mode().Perm())
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != ContextName {
		t.Errorf("current-context = %q", cfg.CurrentContext)
	}
	rc, err := clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if rc.Host != "https://127.0.0.1:6443" || !bytes.Equal(rc.TLSClientConfig.CertData, b.AdminCertPEM) {
		t.Errorf("rest config = %+v", rc)
	}
}

func TestIssueClientCert(t *testing.T) {
	b, err := Ensure(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := b.IssueClientCert("alice", []string{"dev", "ops"})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := parseCert(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseKey(keyPEM); err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "alice" || len(cert.Subject.Organization) != 2 {
		t.Errorf("subject = %v", cert.Subject)
	}
}

func BenchmarkEnsureGenerate(b *testing.B) {
	for b.Loop() {
		if _, err := Ensure(b.TempDir(), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEnsureLoad(b *testing.B) {
	dir := b.TempDir()
	if _, err := Ensure(dir, Options{}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Ensure(dir, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
