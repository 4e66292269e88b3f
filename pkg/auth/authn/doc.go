// Package authn decides who sent an HTTP request: the first stage of the
// API server's handler chain (authn → authz → decode → admission → store).
//
// An Authenticator looks at one kind of credential:
//
//   - X509 (x509.go): a TLS client certificate chaining to the cluster CA,
//     with ExtKeyUsageClientAuth; user = Subject CN, groups = Subject O.
//   - BearerToken + TokenFile (bearer.go, tokenfile.go): an
//     "Authorization: Bearer <token>" header checked against a static token
//     file in kube-apiserver's --token-auth-file CSV format.
//   - ServiceAccountTokens (serviceaccount.go): the JWTs the server issues
//     through serviceaccounts/token (pkg/auth/satoken), checked against
//     the service account and bound object they name.
//   - BootstrapTokens (bootstrap.go): bootstrap tokens
//     (pkg/auth/bootstraptoken) checked against their
//     kube-system/bootstrap-token-<id> Secrets; the user is
//     system:bootstrap:<id> in system:bootstrappers.
//   - Union (authenticator.go): tries several in order.
//
// Audiences (audiences.go): a request may ask for credentials meant for
// given audiences (WithAudiences; a TokenReview's spec.audiences); a
// credential names the audiences it was accepted for in User.Audiences.
//
// WithAuthentication (filter.go) runs an Authenticator for every request,
// stores the User in the request context (UserFrom/WithUser), removes the
// Authorization header so nothing downstream sees the secret, and answers
// 401 with upstream's Unauthorized Status when there are no valid
// credentials. Health and version endpoints are served to anonymous
// callers, as system:anonymous, the way kube-apiserver's default
// system:public-info-viewer binding allows; so is a GET of the
// kube-public/cluster-info ConfigMap (ClusterInfoPath), which a joining
// node reads before it has credentials, as upstream's bootstrap RBAC
// allows.
//
// The TLS listener must request client certificates without verifying them
// (tls.RequestClientCert; pki.Bundle.ServerTLSConfig does this): X509
// verifies the chain itself so that an unknown CA gets a 401 Status rather
// than a failed handshake.
package authn
