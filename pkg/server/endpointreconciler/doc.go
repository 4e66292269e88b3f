// Package endpointreconciler keeps the Endpoints and EndpointSlice of the
// default/kubernetes Service listing every live API server, as upstream's
// lease endpoint reconciler does.
//
// Each API server sharing one etcd holds a lease key
// /registry/masterleases/<its advertised IP> bound to an etcd lease with
// a TTL (leases.go), and renews it every interval. On each renewal it
// rewrites the kubernetes Endpoints (labelled
// endpointslice.kubernetes.io/skip-mirror so the mirroring controller
// leaves it alone) and the EndpointSlice "kubernetes" from the set of
// lease keys (reconciler.go). A server that stops cleanly removes its key
// and rewrites the list; one that dies drops out when its lease expires
// and another server next reconciles.
//
// With a DNSPort (the cluster DNS of `tinykube server`, pkg/dns, on
// every API server's advertised address) it also writes the
// EndpointSlice "kube-dns" in kube-system, the same addresses on that
// port over UDP and TCP, for the selectorless kube-dns Service.
//
// The server starts it (server.Start) and stops it on Close; it writes
// through the registry's stores, as the bootstrap objects do.
package endpointreconciler
