package authn

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// X509 authenticates TLS client certificates signed by a trusted CA.
type X509 struct {
	roots *x509.CertPool
}

var _ Authenticator = (*X509)(nil)

// NewX509 returns an authenticator that trusts client certificates
// chaining to roots (the cluster CA: pki.Bundle.CAPool).
func NewX509(roots *x509.CertPool) *X509 {
	return &X509{roots: roots}
}

// AuthenticateRequest verifies r.TLS.PeerCertificates (leaf first, then any
// intermediates the client sent) for client authentication. The user is the
// leaf's Subject CommonName; its groups are the Subject Organizations.
func (a *X509) AuthenticateRequest(r *http.Request) (*User, bool, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, false, nil
	}
	leaf := r.TLS.PeerCertificates[0]
	opts := x509.VerifyOptions{
		Roots:         a.roots,
		Intermediates: x509.NewCertPool(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	for _, c := range r.TLS.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := leaf.Verify(opts); err != nil {
		return nil, false, fmt.Errorf("verifying client certificate %q: %w", leaf.Subject.CommonName, err)
	}
	if leaf.Subject.CommonName == "" {
		return nil, false, errors.New("client certificate has an empty common name")
	}
	// Like upstream, name the credential by the certificate's fingerprint,
	// so audit logs and `kubectl auth whoami` can tell certificates apart.
	sum := sha256.Sum256(leaf.Raw)
	return &User{
		Name:   leaf.Subject.CommonName,
		Groups: slices.Clone(leaf.Subject.Organization),
		Extra:  map[string][]string{CredentialIDKey: {"X509SHA256=" + hex.EncodeToString(sum[:])}},
	}, true, nil
}

// CredentialIDKey is the user-info extra key naming the credential used.
const CredentialIDKey = "authentication.kubernetes.io/credential-id"
