// Package bootstraptoken is the bootstrap token: the short shared secret
// (`abcdef.0123456789abcdef`) a new node presents to the API server before
// it has credentials of its own, as kubeadm's `token create` makes and
// `kubeadm join --token` uses.
//
// A token is stored as a Secret kube-system/bootstrap-token-<id> of type
// bootstrap.kubernetes.io/token (token.go: the names, Generate, NewSecret,
// Parse). The API server's authenticator (pkg/auth/authn/bootstrap.go)
// reads these Secrets to map a token to the user system:bootstrap:<id> in
// group system:bootstrappers; `tinykube token` (pkg/cmd/token) creates and
// lists them; a joining node (pkg/cmd/node/join.go) uses one to ask for
// its client certificate through a CertificateSigningRequest. The
// controllers that watch them (bootstrap signer, token cleaner) get their
// informers from InformerFactory (informer.go).
//
// The Secret's layout is upstream's (k8s.io/cluster-bootstrap's
// token/api), so tokens made by kubeadm work here and ours in kubeadm's
// tooling.
package bootstraptoken
