// Package proxy is `tinykube bench proxy`: the service proxy's rule
// programming time and EndpointSlice-change latency with many Services,
// for `tinykube proxy` and (side by side, same server, same machine)
// upstream kube-proxy in nftables mode. BENCHMARKS.md §8.
package proxy
