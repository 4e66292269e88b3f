// Package nodeproxy is the API server's side of the streaming and proxy
// subresources: it finds where a request must go and relays it there.
//
//	pods/log          GET   → https://<node>:<kubelet port>/containerLogs/…
//	pods/exec         GET|POST upgrade → the kubelet's /exec/…
//	pods/attach       GET|POST upgrade → the kubelet's /attach/…
//	pods/portforward  GET|POST upgrade → the kubelet's /portForward/…
//	nodes/proxy       any   → the kubelet (or another port of the node)
//	pods/proxy        any   → http(s)://<pod IP>:<port>/…
//	services/proxy    any   → a ready endpoint of the service
//
// The kubelet is reached at the node's InternalIP and
// status.daemonEndpoints.kubeletEndpoint.Port over TLS, with the API
// server's kubelet-client certificate (pkg/pki). SPDY upgrades are
// relayed byte for byte. WebSocket upgrades, which kubectl ≥ 1.30 tries
// first, are translated: exec and attach speak the v5 (or v4) channel
// protocol to the client and SPDY to the kubelet (translate.go);
// port-forward's WebSocket carries SPDY frames itself
// ("SPDY/3.1+portforward.k8s.io"), relayed to a SPDY upgrade of the
// kubelet (tunnel.go).
//
// The three proxies answer as upstream's: a GET of …/proxy is a 301 to
// …/proxy/, the backend sees the client's Host and X-Forwarded-Uri, and
// the links of a text/html page (and a Location header) that point back
// at the backend are rewritten to stay under the proxy path (links.go).
//
// Pods of simulated nodes (label node.tinykube.io/simulated) are not
// relayed: pods/log is a synthetic log built from the pod's status, and
// exec, attach, portforward and the pod and node proxies a 400 naming
// what is missing (simulated.go; docs/simulated-nodes.md).
//
// pkg/server registers the handlers in apiserver.Config's
// ConnectSubresources (Register).
package nodeproxy
