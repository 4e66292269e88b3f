// Package satoken issues and verifies service-account tokens: JSON Web
// Tokens (RFC 7519) in JWS compact serialization, signed with the
// cluster's service-account key (pki.Bundle.ServiceAccountKey, sa.key).
//
// The tokens have the shape kube-apiserver gives them, so that clients
// and tools that read them (kubectl, client-go's in-cluster config,
// anything that decodes the payload) see the same thing: header
// {"alg":"ES256"|"RS256","kid":<base64url SHA-256 of the PKIX public
// key>}; claims iss, sub (system:serviceaccount:NS:NAME), aud, exp, iat,
// nbf, jti and the private "kubernetes.io" claim naming the namespace, the
// service account and the object the token is bound to (pod, secret or
// node).
//
// Where it sits: the registry's TokenRequest (serviceaccounts/token,
// pkg/registry/core/serviceaccount) calls Signer.Sign; the API server's
// service-account authenticator (pkg/auth/authn, serviceaccount.go) calls
// Verifier.Verify and then checks that the objects named in the claims
// still exist. The JWS code is our own (jws.go): ES256/384/512 and RS256,
// nothing else is accepted.
package satoken
