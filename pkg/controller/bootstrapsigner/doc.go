// Package bootstrapsigner is the bootstrapsigner controller: it signs the
// kubeconfig in kube-public/cluster-info with every bootstrap token that
// allows signing (usage-bootstrap-signing, not expired), writing each
// signature under jws-kubeconfig-<token id> and removing those of tokens
// that are gone, as upstream's pkg/controller/bootstrap/bootstrapsigner.
// A joining node (pkg/node/bootstrap) reads cluster-info anonymously and
// checks the signature for its token, which shows the server knows the
// token, besides checking the CA against --ca-cert-hash. The signature
// format is k8s.io/cluster-bootstrap's (pkg/auth/bootstraptoken/jws.go).
package bootstrapsigner
