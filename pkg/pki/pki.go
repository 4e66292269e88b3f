package pki

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"time"
)

// Identity of the admin client certificate. system:masters is the group
// upstream's RBAC bootstrap policy binds to cluster-admin.
const (
	AdminUser  = "tinykube-admin"
	AdminGroup = "system:masters"
	// KubeletClientUser is the API server's identity towards the
	// kubelets (in AdminGroup, as kubeadm issues it).
	KubeletClientUser = "kube-apiserver-kubelet-client"
)

// Options says what the serving certificate must cover.
type Options struct {
	// ServiceIP is the ClusterIP of the default/kubernetes Service, put in
	// the serving certificate's SANs. Default 10.0.0.1.
	ServiceIP net.IP
	// ExtraSANs are added to the serving certificate: entries that parse as
	// an IP become IP SANs, the rest DNS SANs.
	ExtraSANs []string
	// Now is the clock used for validity windows. Default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.ServiceIP == nil {
		// First address of the default service CIDR: the ClusterIP of
		// the "kubernetes" Service in "default".
		o.ServiceIP = net.IPv4(10, 0, 0, 1)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// servingSANs returns the IPs and DNS names the serving certificate must
// carry for these options.
func (o Options) servingSANs() ([]net.IP, []string) {
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, o.ServiceIP}
	dns := []string{
		"localhost",
		"kubernetes",
		"kubernetes.default",
		"kubernetes.default.svc",
		"kubernetes.default.svc.cluster.local",
	}
	for _, san := range o.ExtraSANs {
		if ip := net.ParseIP(san); ip != nil {
			ips = append(ips, ip)
		} else if san != "" {
			dns = append(dns, san)
		}
	}
	return ips, dns
}

// Bundle is the cluster's loaded key material. It is read-only after Ensure
// returns and safe for concurrent use.
type Bundle struct {
	// Dir is the directory the files live in.
	Dir string

	// CACert is the cluster CA; CAPool holds just it, for verifying client
	// and serving certificates; CACertPEM is ca.crt's content.
	CACert    *x509.Certificate
	CAPool    *x509.CertPool
	CACertPEM []byte

	// ServingCert is the API server's certificate and key, ready for
	// tls.Config.Certificates; the PEM fields are apiserver.crt/.key.
	ServingCert    tls.Certificate
	ServingCertPEM []byte
	ServingKeyPEM  []byte

	// AdminCertPEM/AdminKeyPEM are admin.crt/.key: CN=tinykube-admin,
	// O=system:masters.
	AdminCertPEM []byte
	AdminKeyPEM  []byte

	// KubeletClientCertPEM/KeyPEM are apiserver-kubelet-client.crt/.key:
	// CN=kube-apiserver-kubelet-client, O=system:masters; the API server
	// presents it to the kubelets' HTTPS API.
	KubeletClientCertPEM []byte
	KubeletClientKeyPEM  []byte

	// ServiceAccountKey signs service-account tokens; the PEM fields are
	// sa.key and sa.pub (PKIX public key, for verifiers).
	ServiceAccountKey          crypto.Signer
	ServiceAccountKeyPEM       []byte
	ServiceAccountPublicKeyPEM []byte

	caKey crypto.Signer
	now   func() time.Time
}

// Ensure loads the key material under dir, generating whatever is missing
// (see the package comment for which files and when they are regenerated).
// dir is created with mode 0700 if needed.
func Ensure(dir string, opts Options) (*Bundle, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	b := &Bundle{Dir: dir, now: opts.Now}
	if err := b.ensureCA(); err != nil {
		return nil, fmt.Errorf("pki: CA: %w", err)
	}
	if err := b.ensureServing(opts); err != nil {
		return nil, fmt.Errorf("pki: serving certificate: %w", err)
	}
	if err := b.ensureAdmin(); err != nil {
		return nil, fmt.Errorf("pki: admin certificate: %w", err)
	}
	if err := b.ensureKubeletClient(); err != nil {
		return nil, fmt.Errorf("pki: kubelet client certificate: %w", err)
	}
	if err := b.ensureServiceAccountKey(); err != nil {
		return nil, fmt.Errorf("pki: service-account key: %w", err)
	}
	return b, nil
}

// ServerTLSConfig returns a TLS configuration for the API server listener:
// the serving certificate, and client certificates requested but not
// verified during the handshake. Verification is the authenticator's job
// (authn.NewX509(b.CAPool)), so that a certificate from an unknown CA
// yields an HTTP 401 Status rather than a bare handshake failure — the
// same split kube-apiserver makes.
func (b *Bundle) ServerTLSConfig() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{b.ServingCert},
		ClientAuth:   tls.RequestClientCert,
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"h2", "http/1.1"},
	}
}

func (b *Bundle) ensureCA() error {
	certPEM, err := readFile(b.Dir, CACertFile)
	if err != nil {
		return err
	}
	keyPEM, err := readFile(b.Dir, CAKeyFile)
	if err != nil {
		return err
	}
	switch {
	case certPEM == nil && keyPEM == nil:
		certPEM, keyPEM, err = newCA(b.now())
		if err != nil {
			return err
		}
		// Key first: a crash in between leaves a key without a
		// certificate, which is reported rather than silently replaced.
		if err := writeFile(b.Dir, CAKeyFile, keyPEM, 0o600); err != nil {
			return err
		}
		if err := writeFile(b.Dir, CACertFile, certPEM, 0o644); err != nil {
			return err
		}
	case certPEM == nil || keyPEM == nil:
		// Regenerating the CA would invalidate every issued credential;
		// make the operator decide.
		return fmt.Errorf("found only one of %s and %s in %s; restore the other or remove both", CACertFile, CAKeyFile, b.Dir)
	}
	cert, err := parseCert(certPEM)
	if err != nil {
		return fmt.Errorf("%s: %w", CACertFile, err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return fmt.Errorf("%s: %w", CAKeyFile, err)
	}
	if !publicKeysEqual(cert.PublicKey, key.Public()) {
		return fmt.Errorf("%s does not match %s", CAKeyFile, CACertFile)
	}
	if !cert.IsCA {
		return fmt.Errorf("%s is not a CA certificate", CACertFile)
	}
	b.CACert, b.caKey, b.CACertPEM = cert, key, certPEM
	b.CAPool = x509.NewCertPool()
	b.CAPool.AddCert(cert)
	return nil
}

func (b *Bundle) ensureServing(opts Options) error {
	ips, dns := opts.servingSANs()
	certPEM, keyPEM, err := b.loadLeaf(ServingCertFile, ServingKeyFile, x509.ExtKeyUsageServerAuth)
	if err != nil {
		return err
	}
	if certPEM != nil {
		cert, _ := parseCert(certPEM) // loadLeaf parsed it already
		if !coversSANs(cert, ips, dns) {
			certPEM = nil
		}
	}
	if certPEM == nil {
		certPEM, keyPEM, err = b.issue(leafSpec{
			cn:    "kube-apiserver",
			usage: x509.ExtKeyUsageServerAuth,
			ips:   ips,
			dns:   dns,
		})
		if err != nil {
			return err
		}
		if err := b.writeLeaf(ServingCertFile, ServingKeyFile, certPEM, keyPEM); err != nil {
			return err
		}
	}
	b.ServingCert, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return err
	}
	b.ServingCertPEM, b.ServingKeyPEM = certPEM, keyPEM
	return nil
}

func (b *Bundle) ensureAdmin() error {
	certPEM, keyPEM, err := b.loadLeaf(AdminCertFile, AdminKeyFile, x509.ExtKeyUsageClientAuth)
	if err != nil {
		return err
	}
	if certPEM == nil {
		certPEM, keyPEM, err = b.IssueClientCert(AdminUser, []string{AdminGroup})
		if err != nil {
			return err
		}
		if err := b.writeLeaf(AdminCertFile, AdminKeyFile, certPEM, keyPEM); err != nil {
			return err
		}
	}
	b.AdminCertPEM, b.AdminKeyPEM = certPEM, keyPEM
	return nil
}

func (b *Bundle) ensureKubeletClient() error {
	certPEM, keyPEM, err := b.loadLeaf(KubeletClientCertFile, KubeletClientKeyFile, x509.ExtKeyUsageClientAuth)
	if err != nil {
		return err
	}
	if certPEM == nil {
		certPEM, keyPEM, err = b.IssueClientCert(KubeletClientUser, []string{AdminGroup})
		if err != nil {
			return err
		}
		if err := b.writeLeaf(KubeletClientCertFile, KubeletClientKeyFile, certPEM, keyPEM); err != nil {
			return err
		}
	}
	b.KubeletClientCertPEM, b.KubeletClientKeyPEM = certPEM, keyPEM
	return nil
}

func (b *Bundle) ensureServiceAccountKey() error {
	keyPEM, err := readFile(b.Dir, ServiceAccountKey)
	if err != nil {
		return err
	}
	if keyPEM == nil {
		k, err := newKey()
		if err != nil {
			return err
		}
		if keyPEM, err = encodeKey(k); err != nil {
			return err
		}
		if err := writeFile(b.Dir, ServiceAccountKey, keyPEM, 0o600); err != nil {
			return err
		}
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return fmt.Errorf("%s: %w", ServiceAccountKey, err)
	}
	pubPEM, err := encodePublicKey(key.Public())
	if err != nil {
		return err
	}
	// sa.pub is derived; rewrite it when missing or stale.
	if old, err := readFile(b.Dir, ServiceAccountPub); err != nil || string(old) != string(pubPEM) {
		if err := writeFile(b.Dir, ServiceAccountPub, pubPEM, 0o644); err != nil {
			return err
		}
	}
	b.ServiceAccountKey, b.ServiceAccountKeyPEM, b.ServiceAccountPublicKeyPEM = key, keyPEM, pubPEM
	return nil
}

// loadLeaf returns the PEM content of a leaf certificate and key if both
// exist, match, chain to the CA for usage, and are not close to expiry;
// otherwise (nil, nil, nil), meaning "issue a new one". Only I/O errors are
// returned: a broken leaf is replaced, not reported.
func (b *Bundle) loadLeaf(certName, keyName string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte, err error) {
	if certPEM, err = readFile(b.Dir, certName); err != nil || certPEM == nil {
		return nil, nil, err
	}
	if keyPEM, err = readFile(b.Dir, keyName); err != nil || keyPEM == nil {
		return nil, nil, err
	}
	cert, err := parseCert(certPEM)
	if err != nil {
		return nil, nil, nil
	}
	key, err := parseKey(keyPEM)
	if err != nil || !publicKeysEqual(cert.PublicKey, key.Public()) {
		return nil, nil, nil
	}
	now := b.now()
	if now.Add(renewBefore).After(cert.NotAfter) {
		return nil, nil, nil
	}
	if _, err := cert.Verify(x509.VerifyOptions{
		Roots:       b.CAPool,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{usage},
	}); err != nil {
		return nil, nil, nil
	}
	return certPEM, keyPEM, nil
}

func (b *Bundle) writeLeaf(certName, keyName string, certPEM, keyPEM []byte) error {
	if err := writeFile(b.Dir, keyName, keyPEM, 0o600); err != nil {
		return err
	}
	return writeFile(b.Dir, certName, certPEM, 0o644)
}

func coversSANs(cert *x509.Certificate, ips []net.IP, dns []string) bool {
	for _, want := range ips {
		found := false
		for _, have := range cert.IPAddresses {
			if have.Equal(want) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for _, want := range dns {
		found := false
		for _, have := range cert.DNSNames {
			if have == want {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}
