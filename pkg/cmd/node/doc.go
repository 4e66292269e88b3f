// Package node is the `tinykube node` command: simulated nodes (the node
// agent of pkg/node on the simulated runtime) against any API server, or
// with --runtime containerd one real node (real.go): a private containerd
// started under --data-dir (pkg/node/containerd; pod network from
// tinykube-cni, this binary, or with --cni reference Debian's bridge and
// host-local plugins), or an existing CRI endpoint, driven through
// pkg/node/cri; routes to other nodes' pods come from pkg/network/routes
// (--pod-network host-gw, vxlan or none; startRoutes). `tinykube server --node` runs the
// same real node in-process (RunReal); tests start one with
// internal/nodetest (StartRuntime, RealConfig). A real node on another
// host joins with --server, --token and --ca-cert-hash (join.go, by TLS
// bootstrapping in pkg/node/bootstrap) instead of a --kubeconfig.
// netpol.go runs a real node's NetworkPolicy enforcer
// (pkg/network/policy) beside its agent; --network-policy=false turns it
// off and removes the rules an earlier run left.
package node
