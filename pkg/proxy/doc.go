// Package proxy is the service proxy: `tinykube proxy`, also run inside
// every real node (`tinykube node --runtime containerd`, `tinykube
// server --node`). From Services and EndpointSlices (informers) it
// programs nftables in table `inet tinykube` the way kube-proxy's
// nftables mode does:
//
//   - model.go: a Service and its EndpointSlices become one servicePort
//     per port, with the endpoints kube-proxy would use (ready ones;
//     when there are none, serving and terminating ones; the node's own
//     for internal/externalTrafficPolicy Local).
//   - rules.go: a servicePort becomes chains (svc-*: the cluster and
//     local chains DNATing to an endpoint picked by numgen, as
//     kube-proxy 1.37 does, with no chain per endpoint; the external
//     chain for NodePorts and externalIPs; with sessionAffinity ClientIP
//     a chain and a dynamic timeout set per endpoint), and elements in
//     the base objects (proxy-*: the service-ips and nodeports dispatch
//     maps, the no-endpoints maps that reject, the cluster-ips and
//     hairpin-connections sets, the latter holding this node's endpoints
//     only). The base chains hook prerouting, output, input, forward
//     and postrouting; a mark and the proxy-masquerading chain
//     masquerade off-node clients and hairpin connections.
//   - proxier.go: the informers, the rate-limited sync loop and the
//     transaction. Only changed Services' chains and elements are
//     rewritten per sync (kube-proxy's partial sync); a periodic full
//     sync rewrites everything and removes stale svc-* chains.
//     Cleanup removes the proxy's objects only (the table is shared with
//     NetworkPolicy, whose objects are policy-*), and the table itself
//     only when nothing else is left in it.
//   - nft.go: `nft`, knftables' but for running a transaction with
//     glibc's malloc on transparent huge pages (a third less of nft's
//     CPU on a large one).
//   - sysctl.go: net.bridge.bridge-nf-call-iptables and ip_forward, so
//     that pod-to-pod traffic on one bridge passes through the rules;
//     conntrack.go: UDP conntrack entries of removed endpoints flushed.
//
// IPv4 only; an IPv6 ClusterIP or endpoint is skipped.
package proxy
