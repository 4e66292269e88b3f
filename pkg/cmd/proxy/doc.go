// Package proxy is the `tinykube proxy` command: the service proxy
// (pkg/proxy) alone, against any Kubernetes API server, as kube-proxy
// in nftables mode; `--cleanup` removes its rules and exits. Real nodes
// run the same proxy (pkg/cmd/node, real.go).
package proxy
