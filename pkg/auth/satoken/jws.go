package satoken

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"strings"
)

// header is the JOSE header of the tokens we issue.
type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid,omitempty"`
}

// algorithm is one JWS signature algorithm (RFC 7518 section 3).
type algorithm struct {
	name string
	hash func() hash.Hash
	h    crypto.Hash
	// size is an ECDSA signature's R and S length in bytes; 0 for RSA.
	size int
}

var (
	es256 = algorithm{"ES256", sha256.New, crypto.SHA256, 32}
	es384 = algorithm{"ES384", sha512.New384, crypto.SHA384, 48}
	es512 = algorithm{"ES512", sha512.New, crypto.SHA512, 66}
	rs256 = algorithm{"RS256", sha256.New, crypto.SHA256, 0}
)

// algorithmFor returns the algorithm a key signs with: ES256/384/512 by
// curve, RS256 for RSA (kube-apiserver's choices).
func algorithmFor(pub crypto.PublicKey) (algorithm, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return es256, nil
		case elliptic.P384():
			return es384, nil
		case elliptic.P521():
			return es512, nil
		}
		return algorithm{}, errors.New("unsupported ECDSA curve: must be P-256, P-384 or P-521")
	case *rsa.PublicKey:
		return rs256, nil
	}
	return algorithm{}, fmt.Errorf("unsupported key type %T", pub)
}

// KeyID is the "kid" of tokens signed by pub's private key, as
// kube-apiserver derives it: the unpadded base64url SHA-256 of the key's
// PKIX DER encoding.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

var b64 = base64.RawURLEncoding

// signCompact returns header.payload.signature for payload signed by key.
func signCompact(key crypto.Signer, alg algorithm, kid string, payload []byte) (string, error) {
	h, err := json.Marshal(header{Alg: alg.name, Kid: kid})
	if err != nil {
		return "", err
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(payload)
	d := alg.hash()
	d.Write([]byte(input))
	digest := d.Sum(nil)
	var sig []byte
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest)
		if err != nil {
			return "", err
		}
		// JWS wants R||S, each left-padded to the curve size, not DER.
		sig = make([]byte, 2*alg.size)
		r.FillBytes(sig[:alg.size])
		s.FillBytes(sig[alg.size:])
	default:
		if sig, err = key.Sign(rand.Reader, digest, alg.h); err != nil {
			return "", err
		}
	}
	return input + "." + b64.EncodeToString(sig), nil
}

// errMalformed is a token that is not a JWS in compact serialization.
var errMalformed = errors.New("malformed token")

// splitCompact decodes the three parts of a compact JWS without verifying
// anything.
func splitCompact(token string) (h header, payload, sig []byte, input string, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return h, nil, nil, "", errMalformed
	}
	hb, err := b64.DecodeString(parts[0])
	if err != nil {
		return h, nil, nil, "", errMalformed
	}
	if err := json.Unmarshal(hb, &h); err != nil {
		return h, nil, nil, "", errMalformed
	}
	if payload, err = b64.DecodeString(parts[1]); err != nil {
		return h, nil, nil, "", errMalformed
	}
	if sig, err = b64.DecodeString(parts[2]); err != nil {
		return h, nil, nil, "", errMalformed
	}
	return h, payload, sig, parts[0] + "." + parts[1], nil
}

// ErrInvalidSignature: no key verifies the token's signature.
var ErrInvalidSignature = errors.New("invalid signature")

// verifySignature checks sig over input with pub, for the algorithm the
// header names, which must be the one pub signs with (no "none", no
// algorithm confusion).
func verifySignature(pub crypto.PublicKey, algName, input string, sig []byte) error {
	alg, err := algorithmFor(pub)
	if err != nil {
		return err
	}
	if alg.name != algName {
		return fmt.Errorf("%w: algorithm %q does not match the key's %s", ErrInvalidSignature, algName, alg.name)
	}
	d := alg.hash()
	d.Write([]byte(input))
	digest := d.Sum(nil)
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if len(sig) != 2*alg.size {
			return ErrInvalidSignature
		}
		r, s := new(big.Int).SetBytes(sig[:alg.size]), new(big.Int).SetBytes(sig[alg.size:])
		if !ecdsa.Verify(k, digest, r, s) {
			return ErrInvalidSignature
		}
	case *rsa.PublicKey:
		if rsa.VerifyPKCS1v15(k, alg.h, digest, sig) != nil {
			return ErrInvalidSignature
		}
	}
	return nil
}
