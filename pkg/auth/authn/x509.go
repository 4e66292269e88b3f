package authn

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// X509 authenticates TLS client certificates signed by a trusted CA.
//
// Verifying a chain costs a signature check per request (a tenth of the
// server's CPU under load), so verified chains are remembered by the
// fingerprint of what the client presented, until the leaf expires. The
// roots never change while the server runs, so a chain once valid stays
// valid until then. The cache is bounded; when full it starts over.
type X509 struct {
	roots *x509.CertPool
	now   func() time.Time

	mu       sync.Mutex
	verified map[[sha256.Size]byte]verifiedChain
}

type verifiedChain struct {
	user     User
	notAfter time.Time
}

// maxVerifiedChains bounds the verification cache.
const maxVerifiedChains = 4096

var _ Authenticator = (*X509)(nil)

// NewX509 returns an authenticator that trusts client certificates
// chaining to roots (the cluster CA: pki.Bundle.CAPool).
func NewX509(roots *x509.CertPool) *X509 {
	return &X509{roots: roots, now: time.Now, verified: map[[sha256.Size]byte]verifiedChain{}}
}

// AuthenticateRequest verifies r.TLS.PeerCertificates (leaf first, then any
// intermediates the client sent) for client authentication. The user is the
// leaf's Subject CommonName; its groups are the Subject Organizations.
func (a *X509) AuthenticateRequest(r *http.Request) (*User, bool, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, false, nil
	}
	leaf := r.TLS.PeerCertificates[0]
	key := chainKey(r.TLS.PeerCertificates)
	a.mu.Lock()
	hit, ok := a.verified[key]
	a.mu.Unlock()
	if ok && a.now().Before(hit.notAfter) {
		u := hit.user.clone()
		return u, true, nil
	}
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
	u := &User{
		Name:   leaf.Subject.CommonName,
		Groups: slices.Clone(leaf.Subject.Organization),
		Extra:  map[string][]string{CredentialIDKey: {"X509SHA256=" + hex.EncodeToString(sum[:])}},
	}
	a.mu.Lock()
	if len(a.verified) >= maxVerifiedChains {
		clear(a.verified)
	}
	a.verified[key] = verifiedChain{user: *u.clone(), notAfter: leaf.NotAfter}
	a.mu.Unlock()
	return u, true, nil
}

// CredentialIDKey is the user-info extra key naming the credential used.
const CredentialIDKey = "authentication.kubernetes.io/credential-id"

// chainKey fingerprints the certificates a client presented.
func chainKey(certs []*x509.Certificate) [sha256.Size]byte {
	h := sha256.New()
	for _, c := range certs {
		h.Write(c.Raw)
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}
