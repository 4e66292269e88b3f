// Package token is `tinykube token create` and `tinykube token list`:
// bootstrap tokens (pkg/auth/bootstraptoken) for nodes that join from
// other hosts, as `kubeadm token` makes them. `create
// --print-join-command` prints the `tinykube node` command line that
// joins with the new token: the server other hosts reach (from
// kube-public/cluster-info) and the CA's --ca-cert-hash.
package token
