// Package dnsbench is the `tinykube bench dns` load generator: closed-loop
// workers, each on its own UDP socket, send the same mix of cluster names
// (ClusterIP and headless A, SRV, PTR, NODATA and NXDOMAIN answers, the
// search-path misses ndots:5 makes pods send) to any DNS server, so one
// run can be pointed at tinykube's cluster DNS and at CoreDNS answering
// for the same API server. Setup creates the Services and EndpointSlices
// the names are of, through any Kubernetes API (client-go).
package dnsbench
