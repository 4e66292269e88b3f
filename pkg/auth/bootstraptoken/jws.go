package bootstraptoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// The bootstrap signer (pkg/controller/bootstrapsigner) signs the
// kubeconfig in kube-public/cluster-info with every token that allows
// UsageSigning, under key JWSKeyPrefix + token id: a detached compact JWS
// (HS256 keyed with the token secret, kid = token id), byte for byte as
// k8s.io/cluster-bootstrap's jws.ComputeDetachedSignature makes it. A
// joining node checks the signature for its token, which shows that the
// server it reached knows the token, before it trusts anything there.

// JWSKeyPrefix + token id is the cluster-info key of a token's signature.
const JWSKeyPrefix = "jws-kubeconfig-"

// DetachedSignature returns the detached JWS ("header..signature") of
// content for the token id.secret.
func DetachedSignature(content, id, secret string) string {
	// go-jose (which upstream uses) writes the protected header with its
	// keys sorted: alg, kid.
	header, _ := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}{"HS256", id})
	enc := base64.RawURLEncoding
	h := enc.EncodeToString(header)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(h + "." + enc.EncodeToString([]byte(content))))
	return h + ".." + enc.EncodeToString(mac.Sum(nil))
}

// SignatureValid reports, in constant time, whether sig is the detached
// signature of content for the token id.secret.
func SignatureValid(sig, content, id, secret string) bool {
	want := DetachedSignature(content, id, secret)
	return hmac.Equal([]byte(strings.TrimSpace(sig)), []byte(want))
}
