package authn

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"testing"
	"time"

	"github.com/tinykube/tinykube/pkg/pki"
)

// TestX509Cache: a verified chain is remembered, callers get their own
// copy of the user, and an entry stops counting once the leaf expires.
func TestX509Cache(t *testing.T) {
	b, err := pki.Ensure(t.TempDir(), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b.AdminCertPEM)
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	req := &http.Request{TLS: &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}}
	a := NewX509(b.CAPool)
	now := time.Now()
	a.now = func() time.Time { return now }

	u1, ok, err := a.AuthenticateRequest(req)
	if err != nil || !ok {
		t.Fatalf("first: %v %v", ok, err)
	}
	if len(a.verified) != 1 {
		t.Fatalf("cache has %d entries, want 1", len(a.verified))
	}
	u1.Groups = append(u1.Groups, "mutated")
	u2, ok, err := a.AuthenticateRequest(req)
	if err != nil || !ok || u2.Name != u1.Name {
		t.Fatalf("cached: %+v %v %v", u2, ok, err)
	}
	for _, g := range u2.Groups {
		if g == "mutated" {
			t.Fatal("cached user shared with a caller")
		}
	}
	// Past the leaf's expiry the cache entry is not used: the chain is
	// verified again (and, with the real clock, still passes).
	now = leaf.NotAfter.Add(time.Second)
	delete(a.verified, chainKey(req.TLS.PeerCertificates))
	a.verified[chainKey(req.TLS.PeerCertificates)] = verifiedChain{user: User{Name: "stale"}, notAfter: leaf.NotAfter}
	u3, ok, err := a.AuthenticateRequest(req)
	if err != nil || !ok || u3.Name == "stale" {
		t.Fatalf("expired entry used: %+v %v %v", u3, ok, err)
	}
}
