package satoken

import (
	"crypto"
	"encoding/json"
	"errors"
	"slices"
)

// Signer issues tokens for one issuer with one key. It is safe for
// concurrent use.
type Signer struct {
	issuer string
	key    crypto.Signer
	alg    algorithm
	kid    string
}

// NewSigner returns a Signer for issuer (the "iss" claim) signing with key
// (ECDSA P-256/384/521 or RSA).
func NewSigner(issuer string, key crypto.Signer) (*Signer, error) {
	if issuer == "" {
		return nil, errors.New("service-account issuer is required")
	}
	alg, err := algorithmFor(key.Public())
	if err != nil {
		return nil, err
	}
	kid, err := KeyID(key.Public())
	if err != nil {
		return nil, err
	}
	return &Signer{issuer: issuer, key: key, alg: alg, kid: kid}, nil
}

// Issuer is the "iss" of the tokens s signs.
func (s *Signer) Issuer() string { return s.issuer }

// Sign sets c's issuer and returns the signed token.
func (s *Signer) Sign(c *Claims) (string, error) {
	c.Issuer = s.issuer
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return signCompact(s.key, s.alg, s.kid, payload)
}

// Verifier checks tokens signed by any of a set of keys for any of a set
// of issuers. It is immutable and safe for concurrent use.
type Verifier struct {
	issuers []string
	keys    []verifyKey
}

type verifyKey struct {
	kid string
	key crypto.PublicKey
}

// NewVerifier returns a Verifier accepting tokens of issuers signed by
// any of keys.
func NewVerifier(issuers []string, keys ...crypto.PublicKey) (*Verifier, error) {
	if len(issuers) == 0 || len(keys) == 0 {
		return nil, errors.New("a verifier needs an issuer and a key")
	}
	v := &Verifier{issuers: slices.Clone(issuers)}
	for _, k := range keys {
		if _, err := algorithmFor(k); err != nil {
			return nil, err
		}
		kid, err := KeyID(k)
		if err != nil {
			return nil, err
		}
		v.keys = append(v.keys, verifyKey{kid: kid, key: k})
	}
	return v, nil
}

// ErrNotOurs: the token is not a JWT of one of the verifier's issuers;
// another authenticator may know it.
var ErrNotOurs = errors.New("not a service-account token of this issuer")

// Verify returns the claims of token once its signature checks out with
// one of the keys (the one its "kid" names first) and its issuer is one of
// the verifier's. A token that does not parse as a JWT, or names another
// issuer, is ErrNotOurs; time and audience checks are the caller's
// (Claims.ValidAt).
func (v *Verifier) Verify(token string) (*Claims, error) {
	h, payload, sig, input, err := splitCompact(token)
	if err != nil {
		return nil, ErrNotOurs
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil || !slices.Contains(v.issuers, c.Issuer) {
		return nil, ErrNotOurs
	}
	// Try the key the header names first, then the others.
	keys := slices.Clone(v.keys)
	slices.SortStableFunc(keys, func(a, b verifyKey) int {
		switch {
		case a.kid == h.Kid && b.kid != h.Kid:
			return -1
		case b.kid == h.Kid && a.kid != h.Kid:
			return 1
		}
		return 0
	})
	var errs []error
	for _, k := range keys {
		err := verifySignature(k.key, h.Alg, input, sig)
		if err == nil {
			return &c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}
