// Package dns is the `tinykube bench dns` command: DNS queries per second
// and latency for the cluster names of pkg/bench/dnsbench, against any DNS
// server (tinykube's cluster DNS, CoreDNS).
package dns
