package node

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/pkg/dns"
)

// The kubelet's limits on a pod's resolv.conf (pkg/kubelet/network/dns):
// glibc reads three nameservers; search paths as validation allows.
const (
	maxDNSNameservers     = 3
	maxDNSSearchPaths     = 32
	maxDNSSearchListChars = 2048
	maxDNSSearchPathChars = 253
	// maxResolvConfSize is the most of the host's resolv.conf read.
	maxResolvConfSize = 10 << 20
)

// dnsConfig is the pod's resolv.conf as the kubelet derives it from its
// dnsPolicy (podDNSConfig), from the node's cluster DNS and the host's
// resolv.conf.
func (a *Agent) dnsConfig(pod *corev1.Pod) (*runtimeapi.DNSConfig, error) {
	r := a.cfg.Real
	host, err := readResolvConf(r.ResolvConf)
	if err != nil {
		return nil, err
	}
	clusterDNS := r.ClusterDNS
	if len(clusterDNS) == 0 && r.FollowClusterDNS != nil {
		clusterDNS = r.FollowClusterDNS()
	}
	return podDNSConfig(pod, clusterDNS, r.ClusterDomain, host), nil
}

// podDNSConfig is the kubelet's GetPodDNS:
//   - ClusterFirst (the default; ClusterFirstWithHostNet for a
//     host-network pod): the cluster's nameservers, the search path
//     <ns>.svc.<domain> svc.<domain> <domain> then the host's, and
//     ndots:5 only; without cluster DNS it falls back to Default.
//   - ClusterFirst on the host network, and Default: the host's
//     nameservers, search path and options.
//   - None: nothing but the pod's dnsConfig.
//
// The pod's dnsConfig is then appended (duplicates dropped, its options
// overriding those of the same name; an empty value is the bare name),
// and the result cut to the limits glibc and validation have (3
// nameservers; 32 search paths, each at most 253 characters, 2048 in
// all, the last ones dropped first).
func podDNSConfig(pod *corev1.Pod, clusterDNS []string, domain string, host *runtimeapi.DNSConfig) *runtimeapi.DNSConfig {
	policy := pod.Spec.DNSPolicy
	switch policy {
	case corev1.DNSClusterFirst, "": // "" is what defaulting makes ClusterFirst
		policy = corev1.DNSClusterFirst
		if pod.Spec.HostNetwork {
			policy = corev1.DNSDefault
		}
	case corev1.DNSClusterFirstWithHostNet:
		policy = corev1.DNSClusterFirst
	case corev1.DNSDefault, corev1.DNSNone:
	default:
		// A policy validation should have refused: the kubelet falls
		// back to ClusterFirst (even on the host network).
		policy = corev1.DNSClusterFirst
	}
	if domain == "" {
		domain = "cluster.local"
	}
	dns := &runtimeapi.DNSConfig{}
	switch {
	case policy == corev1.DNSNone:
	case policy == corev1.DNSClusterFirst && len(clusterDNS) > 0:
		dns.Servers = slices.Clone(clusterDNS)
		dns.Searches = omitDuplicates(append([]string{pod.Namespace + ".svc." + domain, "svc." + domain, domain}, host.Searches...))
		dns.Options = []string{"ndots:5"}
	default:
		dns.Servers = slices.Clone(host.Servers)
		dns.Searches = slices.Clone(host.Searches)
		dns.Options = slices.Clone(host.Options)
	}
	if pc := pod.Spec.DNSConfig; pc != nil {
		dns.Servers = omitDuplicates(append(dns.Servers, pc.Nameservers...))
		dns.Searches = omitDuplicates(append(dns.Searches, pc.Searches...))
		opts := make([]string, 0, len(pc.Options))
		for _, o := range pc.Options {
			opt := o.Name
			if o.Value != nil && *o.Value != "" {
				opt += ":" + *o.Value
			}
			opts = append(opts, opt)
		}
		dns.Options = mergeOptions(dns.Options, opts)
	}
	if len(dns.Servers) > maxDNSNameservers {
		dns.Servers = dns.Servers[:maxDNSNameservers]
	}
	if len(dns.Searches) > maxDNSSearchPaths {
		dns.Searches = dns.Searches[:maxDNSSearchPaths]
	}
	// A search path longer than a DNS subdomain (253) is dropped.
	dns.Searches = slices.DeleteFunc(dns.Searches, func(s string) bool { return len(s) > maxDNSSearchPathChars })
	for len(dns.Searches) > 0 && len(strings.Join(dns.Searches, " ")) > maxDNSSearchListChars {
		dns.Searches = dns.Searches[:len(dns.Searches)-1]
	}
	return dns
}

// omitDuplicates keeps the first of each string, in order.
func omitDuplicates(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := s[:0:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// mergeOptions appends opts to base, an option of a name already there
// replacing it where it stands (ndots:2 in a pod's dnsConfig overrides
// the cluster's ndots:5).
func mergeOptions(base, opts []string) []string {
	out := slices.Clone(base)
	name := func(o string) string { n, _, _ := strings.Cut(o, ":"); return n }
	for _, o := range opts {
		if i := slices.IndexFunc(out, func(b string) bool { return name(b) == name(o) }); i >= 0 {
			out[i] = o
			continue
		}
		out = append(out, o)
	}
	return out
}

// readResolvConf reads the host's nameservers, search domains and
// options as the kubelet does (the last search line counts, "." and
// trailing dots dropped; an option given twice keeps the last); a
// missing file is an empty config.
func readResolvConf(path string) (*runtimeapi.DNSConfig, error) {
	if path == "" {
		// systemd-resolved's stub (127.0.0.53) is unreachable from a
		// pod's network namespace; its upstream servers are not.
		path = dns.HostResolvConf()
	}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return &runtimeapi.DNSConfig{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("host resolv.conf: %w", err)
	}
	defer f.Close()
	// Whole, not by bufio.Scanner: a search line past 64 KiB is still
	// read (and cut to the limits later), as the kubelet reads it.
	b, err := io.ReadAll(io.LimitReader(f, maxResolvConfSize+1))
	if err != nil {
		return nil, fmt.Errorf("host resolv.conf: %w", err)
	}
	if len(b) > maxResolvConfSize {
		return nil, fmt.Errorf("host resolv.conf %s: larger than %d bytes", path, maxResolvConfSize)
	}
	dns := &runtimeapi.DNSConfig{}
	for line := range strings.Lines(string(b)) {
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) < 1 {
			continue
		}
		switch fields[0] {
		case "nameserver":
			// A bare "nameserver" line is skipped (the kubelet fails
			// the pod on it).
			if len(fields) > 1 {
				dns.Servers = append(dns.Servers, fields[1])
			}
		case "search":
			dns.Searches = nil
			for _, s := range fields[1:] {
				if s != "." {
					dns.Searches = append(dns.Searches, strings.TrimSuffix(s, "."))
				}
			}
		case "options":
			dns.Options = mergeOptions(dns.Options, fields[1:])
		}
	}
	return dns, nil
}
