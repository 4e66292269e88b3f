package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"
)

const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 365 * 24 * time.Hour
	// renewBefore is how close to expiry a leaf may get before Ensure
	// replaces it.
	renewBefore = 30 * 24 * time.Hour
	// backdate tolerates clocks that run slightly behind ours.
	backdate = time.Hour
)

// leafSpec describes a certificate signed by the cluster CA.
type leafSpec struct {
	cn    string
	orgs  []string
	usage x509.ExtKeyUsage
	ips   []net.IP
	dns   []string
}

func serialNumber() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

// newCA returns a fresh self-signed CA certificate and its key, PEM encoded.
func newCA(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "tinykube-ca"},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return encodeCert(der), keyPEM, nil
}

// issue signs a new leaf certificate with the cluster CA.
func (b *Bundle) issue(spec leafSpec) (certPEM, keyPEM []byte, err error) {
	key, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, nil, err
	}
	now := b.now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: spec.cn, Organization: spec.orgs},
		NotBefore:    now.Add(-backdate),
		NotAfter:     now.Add(leafValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{spec.usage},
		IPAddresses:  spec.ips,
		DNSNames:     spec.dns,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, b.CACert, key.Public(), b.caKey)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return encodeCert(der), keyPEM, nil
}

// IssueClientCert returns a new client certificate (ExtKeyUsageClientAuth,
// valid one year) signed by the cluster CA, for user cn in groups orgs, as
// authn's x509 authenticator maps them. Nothing is written to disk.
func (b *Bundle) IssueClientCert(cn string, orgs []string) (certPEM, keyPEM []byte, err error) {
	return b.issue(leafSpec{cn: cn, orgs: orgs, usage: x509.ExtKeyUsageClientAuth})
}

// IssueServingCert returns a new serving certificate
// (ExtKeyUsageServerAuth, valid one year) signed by the cluster CA for
// the given IPs and DNS names: a node's kubelet API certificate. Nothing
// is written to disk.
func (b *Bundle) IssueServingCert(cn string, ips []net.IP, dns []string) (certPEM, keyPEM []byte, err error) {
	return b.issue(leafSpec{cn: cn, usage: x509.ExtKeyUsageServerAuth, ips: ips, dns: dns})
}

// CA signs certificates with a CA's key: the cluster CA for the CSR
// signing controllers (Bundle.CA), or one loaded from files (LoadCA, the
// controller manager's --cluster-signing-cert-file/--cluster-signing-key-file).
type CA struct {
	// Cert is the CA certificate; CertPEM its PEM encoding.
	Cert    *x509.Certificate
	CertPEM []byte
	key     crypto.Signer
}

// CA returns the cluster CA as a signer.
func (b *Bundle) CA() *CA { return &CA{Cert: b.CACert, CertPEM: b.CACertPEM, key: b.caKey} }

// LoadCA reads a CA certificate and its key (PEM files).
func LoadCA(certFile, keyFile string) (*CA, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	cert, err := parseCert(certPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certFile, err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	if !publicKeysEqual(cert.PublicKey, key.Public()) {
		return nil, fmt.Errorf("%s does not match %s", keyFile, certFile)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("%s is not a CA certificate", certFile)
	}
	return &CA{Cert: cert, CertPEM: certPEM, key: key}, nil
}

// Sign signs tmpl (given a fresh serial number when it has none) for
// pub and returns the certificate, PEM encoded.
func (ca *CA) Sign(tmpl *x509.Certificate, pub crypto.PublicKey) ([]byte, error) {
	if tmpl.SerialNumber == nil {
		serial, err := serialNumber()
		if err != nil {
			return nil, err
		}
		tmpl.SerialNumber = serial
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.key)
	if err != nil {
		return nil, err
	}
	return encodeCert(der), nil
}
