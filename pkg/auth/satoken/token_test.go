package satoken

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const issuer = "https://kubernetes.default.svc.cluster.local"

func keys(t *testing.T) map[string]crypto.Signer {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]crypto.Signer{"ES256": ec, "ES384": ec384, "RS256": rk}
}

func TestSignVerify(t *testing.T) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "sa", UID: "uid-1"}}
	now := time.Unix(1_800_000_000, 0)
	all := keys(t)
	for alg, key := range all {
		t.Run(alg, func(t *testing.T) {
			s, err := NewSigner(issuer, key)
			if err != nil {
				t.Fatal(err)
			}
			c := NewClaims(sa, now, time.Hour, []string{issuer})
			c.Kubernetes.Pod = &Ref{Name: "p", UID: "pod-uid"}
			tok, err := s.Sign(c)
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(tok, ".")
			hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
			kid, _ := KeyID(key.Public())
			if want := `{"alg":"` + alg + `","kid":"` + kid + `"}`; string(hb) != want {
				t.Errorf("header = %s, want %s", hb, want)
			}
			pb, _ := base64.RawURLEncoding.DecodeString(parts[1])
			var raw map[string]any
			if err := json.Unmarshal(pb, &raw); err != nil {
				t.Fatal(err)
			}
			if raw["sub"] != "system:serviceaccount:ns:sa" || raw["iss"] != issuer || raw["exp"] != float64(now.Unix()+3600) ||
				raw["jti"] == "" || raw["nbf"] != float64(now.Unix()) {
				t.Errorf("payload = %s", pb)
			}
			if aud, ok := raw["aud"].([]any); !ok || len(aud) != 1 {
				t.Errorf("aud = %v, want a one-element array", raw["aud"])
			}

			v, err := NewVerifier([]string{issuer}, key.Public())
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(tok)
			if err != nil {
				t.Fatal(err)
			}
			if got.Kubernetes.ServiceAccount.UID != "uid-1" || got.Kubernetes.Pod.Name != "p" || got.Audience[0] != issuer {
				t.Errorf("claims = %+v", got)
			}

			// Another issuer's verifier does not claim the token.
			other, _ := NewVerifier([]string{"https://elsewhere"}, key.Public())
			if _, err := other.Verify(tok); !errors.Is(err, ErrNotOurs) {
				t.Errorf("other issuer: err = %v, want ErrNotOurs", err)
			}
			// Tampered payload, signature from another key.
			forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(pb), `"ns"`, `"kube-system"`, 1))) + "." + parts[2]
			if _, err := v.Verify(forged); !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("tampered: err = %v, want ErrInvalidSignature", err)
			}
			for alg2, k2 := range all {
				if alg2 == alg {
					continue
				}
				v2, _ := NewVerifier([]string{issuer}, k2.Public())
				if _, err := v2.Verify(tok); err == nil {
					t.Errorf("verified with a %s key", alg2)
				}
			}
		})
	}
}

func TestVerifyRejectsNone(t *testing.T) {
	key := keys(t)["ES256"]
	v, _ := NewVerifier([]string{issuer}, key.Public())
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`))
	p := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"` + issuer + `","sub":"x"}`))
	if _, err := v.Verify(h + "." + p + "."); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("alg none: err = %v", err)
	}
	if _, err := v.Verify("not-a-jwt"); !errors.Is(err, ErrNotOurs) {
		t.Errorf("garbage: err = %v", err)
	}
}

func TestValidAt(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := &Claims{IssuedAt: now.Unix(), NotBefore: now.Unix(), Expiry: now.Add(time.Hour).Unix()}
	cases := []struct {
		at   time.Time
		want error
	}{
		{now, nil},
		{now.Add(-30 * time.Second), nil}, // within leeway
		{now.Add(-2 * time.Minute), ErrNotValidYet},
		{now.Add(time.Hour + 30*time.Second), nil},
		{now.Add(time.Hour + 2*time.Minute), ErrExpired},
	}
	for _, tc := range cases {
		if err := c.ValidAt(tc.at); !errors.Is(err, tc.want) {
			t.Errorf("at %v: %v, want %v", tc.at.Sub(now), err, tc.want)
		}
	}
	if err := (&Claims{IssuedAt: now.Add(time.Hour).Unix()}).ValidAt(now); !errors.Is(err, ErrIssuedInTheFuture) {
		t.Errorf("iat in the future: %v", err)
	}
	var a Audience
	if err := json.Unmarshal([]byte(`"x"`), &a); err != nil || len(a) != 1 || a[0] != "x" {
		t.Errorf("string aud: %v %v", a, err)
	}
}
