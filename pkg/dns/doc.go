// Package dns is the cluster DNS of tinykube: a DNS server, on
// github.com/miekg/dns, that answers the names of the Kubernetes DNS
// specification from informers (Services, EndpointSlices, Namespaces:
// no API call per query) and forwards every other name to the host's
// resolvers, answering as CoreDNS does with its default Corefile:
//
//	kubernetes cluster.local in-addr.arpa ip6.arpa {
//	    pods insecure
//	    fallthrough in-addr.arpa ip6.arpa
//	}
//	forward . /etc/resolv.conf
//
// Reading order: server.go (Config, listening, the handler: which names
// are the cluster's, truncation, EDNS), names.go (a query name taken
// apart as the kubernetes plugin does), records.go (the records a name
// has, from the informers' indexes), answer.go (A/AAAA/SRV/PTR/CNAME/TXT/
// NS/SOA answers, NXDOMAIN vs NODATA with the SOA in the authority
// section), forward.go (upstream resolvers from resolv.conf, a bounded
// number of forwards in flight).
//
// `tinykube server` runs it (pkg/cmd/server) on its advertised address
// (--cluster-dns-port, default 10053), and the API server keeps the
// kube-system/kube-dns Service (ClusterIP: the 10th address of the
// service CIDR) and its EndpointSlice pointing there
// (pkg/server/dns.go, pkg/server/endpointreconciler). Nodes give pods
// that ClusterIP as their nameserver (pkg/cmd/node/real.go,
// pkg/node/dnsconfig.go).
package dns
