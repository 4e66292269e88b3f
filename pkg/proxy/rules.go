package proxy

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net/netip"
	"strings"

	"sigs.k8s.io/knftables"
)

// The proxy's base objects in table inet tinykube. Everything the proxy
// owns is named proxy-* (these) or svc-* (per service); NetworkPolicy's
// objects in the same table are policy-*.
const (
	servicesChain         = "proxy-services"
	markMasqChain         = "proxy-mark-for-masquerade"
	masqueradingChain     = "proxy-masquerading"
	svcEndpointsCheck     = "proxy-service-endpoints-check"
	nodePortEndpointCheck = "proxy-nodeport-endpoints-check"
	clusterIPsCheck       = "proxy-cluster-ips-check"
	rejectChain           = "proxy-reject"

	serviceIPsMap       = "proxy-service-ips"
	serviceNodePortsMap = "proxy-service-nodeports"
	noEndpointServices  = "proxy-no-endpoint-services"
	noEndpointNodePorts = "proxy-no-endpoint-nodeports"
	clusterIPsSet       = "proxy-cluster-ips"
	// hairpinSet: endpoint . endpoint . proto . port of every endpoint
	// on this node, the connections of a pod to itself through a
	// Service, which are masqueraded (kube-proxy's hairpin-connections).
	hairpinSet           = "proxy-hairpin-connections"
	proxyPrefix, svcPrfx = "proxy-", "svc-"

	// masqueradeMark is the bit that asks for masquerading (kube-proxy's).
	masqueradeMark = "0x4000"
)

type baseChain struct {
	name     string
	typ      knftables.BaseChainType
	hook     knftables.BaseChainHook
	priority knftables.BaseChainPriority
	rules    []string
}

// baseChains are kube-proxy's nftables base chains and their jumps.
var baseChains = []baseChain{
	{"proxy-filter-input", knftables.FilterType, knftables.InputHook, knftables.FilterPriority + "-10",
		[]string{"ct state new jump " + nodePortEndpointCheck, "ct state new jump " + svcEndpointsCheck}},
	{"proxy-filter-forward", knftables.FilterType, knftables.ForwardHook, knftables.FilterPriority + "-10",
		[]string{"ct state new jump " + svcEndpointsCheck, "ct state new jump " + clusterIPsCheck}},
	{"proxy-filter-output", knftables.FilterType, knftables.OutputHook, knftables.FilterPriority + "-10",
		[]string{"ct state new jump " + svcEndpointsCheck}},
	{"proxy-filter-output-post-dnat", knftables.FilterType, knftables.OutputHook, knftables.DNATPriority + "+10",
		[]string{"ct state new jump " + clusterIPsCheck}},
	{"proxy-nat-prerouting", knftables.NATType, knftables.PreroutingHook, knftables.DNATPriority,
		[]string{"jump " + servicesChain}},
	{"proxy-nat-output", knftables.NATType, knftables.OutputHook, knftables.DNATPriority,
		[]string{"jump " + servicesChain}},
	{"proxy-nat-postrouting", knftables.NATType, knftables.PostroutingHook, knftables.SNATPriority,
		[]string{"jump " + masqueradingChain}},
}

// regularChains are the proxy's other fixed chains.
var regularChains = []struct {
	name  string
	rules []string
}{
	{markMasqChain, []string{"meta mark set meta mark or " + masqueradeMark}},
	{masqueradingChain, []string{
		"ct status dnat ip saddr . ip daddr . meta l4proto . th dport @" + hairpinSet + " meta mark set meta mark or " + masqueradeMark,
		"meta mark & " + masqueradeMark + " == 0 return",
		"meta mark set meta mark xor " + masqueradeMark,
		"masquerade fully-random",
	}},
	{servicesChain, []string{
		"ip daddr . meta l4proto . th dport vmap @" + serviceIPsMap,
		// NodePorts on every local address but loopback (kube-proxy's
		// nftables mode never serves NodePorts on 127.0.0.1).
		"fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @" + serviceNodePortsMap,
	}},
	{svcEndpointsCheck, []string{"ip daddr . meta l4proto . th dport vmap @" + noEndpointServices}},
	{nodePortEndpointCheck, []string{"fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @" + noEndpointNodePorts}},
	// A ClusterIP on a port no Service has.
	{clusterIPsCheck, []string{"ip daddr @" + clusterIPsSet + " reject"}},
	{rejectChain, []string{"reject"}},
}

var baseMaps = []struct{ name, typ string }{
	{serviceIPsMap, "ipv4_addr . inet_proto . inet_service : verdict"},
	{serviceNodePortsMap, "inet_proto . inet_service : verdict"},
	{noEndpointServices, "ipv4_addr . inet_proto . inet_service : verdict"},
	{noEndpointNodePorts, "inet_proto . inet_service : verdict"},
}

// element is one set or map element a service owns; ID names it
// (set or map and key), computed once.
type element struct {
	Set, Map   string
	Key, Value []string
	ID         string
}

func (e element) id() string { return e.ID }

// setElem and mapElem make elements.
func setElem(set string, key ...string) element {
	return element{Set: set, Key: key, ID: set + " " + strings.Join(key, " . ")}
}

func mapElem(m string, value string, key ...string) element {
	return element{Map: m, Key: key, Value: []string{value}, ID: m + " " + strings.Join(key, " . ")}
}

func (e element) obj() *knftables.Element {
	return &knftables.Element{Set: e.Set, Map: e.Map, Key: e.Key, Value: e.Value}
}

var baseSets = []struct{ name, typ string }{
	{clusterIPsSet, "ipv4_addr"},
	{hairpinSet, "ipv4_addr . ipv4_addr . inet_proto . inet_service"},
}

// chain is a per-service chain and its rules.
type chain struct {
	Name  string
	Rules []string
}

// serviceRules is everything one Service puts in the table.
type serviceRules struct {
	Chains []chain
	// Elements of the base maps and sets.
	Elements []element
	// AffinitySets: name → timeout in seconds.
	AffinitySets map[string]int32
	// UDP endpoints (for conntrack flushing), "clusterIP endpointIP".
	UDPEndpoints map[string]bool
}

// hashName is kube-proxy's chain naming: a short hash (unique) then the
// readable name, cut to fit.
func hashName(prefix, readable string) string {
	h := sha256.Sum256([]byte(readable))
	s := prefix + strings.ToLower(base32.StdEncoding.EncodeToString(h[:])[:8]) + "-" + readable
	if len(s) > knftables.NameLengthMax-10 {
		s = s[:knftables.NameLengthMax-10]
	}
	return s
}

func (sp *servicePort) clusterChain() string  { return hashName("svc-", sp.id()) }
func (sp *servicePort) localChain() string    { return hashName("svc-local-", sp.id()) }
func (sp *servicePort) externalChain() string { return hashName("svc-ext-", sp.id()) }
func (sp *servicePort) endpointChain(e endpoint) string {
	return hashName("svc-ep-", fmt.Sprintf("%s__%s/%d", sp.id(), e.IP, e.Port))
}

// affinitySet names the affinity set of an endpoint; the timeout is in
// the name, so that a changed timeout makes a new set.
func (sp *servicePort) affinitySet(e endpoint) string {
	return hashName("svc-aff-", fmt.Sprintf("%s__%s/%d/%d", sp.id(), e.IP, e.Port, sp.AffinitySeconds))
}

// generator holds what rules depend on beyond the Service.
type generator struct {
	// localCIDR: sources in it are this node's (or the cluster's) pods;
	// ClusterIP traffic from elsewhere is masqueraded. Invalid: none.
	localCIDR netip.Prefix
}

// serviceRules computes the chains and elements of one Service's ports.
func (g *generator) serviceRules(ports []*servicePort) *serviceRules {
	r := &serviceRules{AffinitySets: map[string]int32{}, UDPEndpoints: map[string]bool{}}
	for _, sp := range ports {
		g.portRules(sp, r)
	}
	return r
}

func (g *generator) portRules(sp *servicePort, r *serviceRules) {
	proto := sp.Protocol
	clusterEPs := pickEndpoints(sp.Endpoints, false)
	localEPs := pickEndpoints(sp.Endpoints, true)
	internalEPs, internalChain := clusterEPs, sp.clusterChain()
	if sp.InternalLocal {
		internalEPs, internalChain = localEPs, sp.localChain()
	}
	externalEPs := clusterEPs
	if sp.ExternalLocal {
		externalEPs = localEPs
	}
	usesCluster := len(clusterEPs) > 0
	usesLocal := len(localEPs) > 0 && (sp.InternalLocal || sp.ExternalLocal)
	usesExternal := len(externalEPs) > 0 && sp.externallyAccessible()
	all := len(clusterEPs) > 0 // some endpoint anywhere: "no local endpoints" drops, none at all rejects

	cip := sp.ClusterIP.String()
	port := fmt.Sprint(sp.Port)
	r.Elements = append(r.Elements, setElem(clusterIPsSet, cip))

	// Every endpoint used: with session affinity a chain of its own
	// that records the client; on this node, its hairpin element (a pod
	// reaching itself through the Service: only a pod on this node
	// sends its packets through this node's rules, so only local
	// endpoints can hairpin here; kube-proxy adds only those too).
	used := map[netip.Addr]bool{}
	for _, e := range append(append([]endpoint(nil), clusterEPs...), localEPs...) {
		if used[e.IP] {
			continue
		}
		used[e.IP] = true
		ip := e.IP.String()
		if e.Local {
			r.Elements = append(r.Elements, setElem(hairpinSet, ip, ip, proto, fmt.Sprint(e.Port)))
		}
		if proto == "udp" {
			r.UDPEndpoints[cip+" "+ip] = true
		}
		if sp.AffinitySeconds > 0 {
			set := sp.affinitySet(e)
			r.AffinitySets[set] = sp.AffinitySeconds
			r.Chains = append(r.Chains, chain{sp.endpointChain(e), []string{
				fmt.Sprintf("update @%s { ip saddr }", set),
				fmt.Sprintf("meta l4proto %s dnat ip to %s", proto, e),
			}})
		}
	}
	// dispatch picks an endpoint at random: DNAT through a numgen map
	// (as kube-proxy since 1.33: no chain per endpoint), or with session
	// affinity the endpoint a client used last, else a random endpoint's
	// chain.
	dispatch := func(eps []endpoint) []string {
		if sp.AffinitySeconds == 0 {
			var m []string
			for i, e := range eps {
				m = append(m, fmt.Sprintf("%d : %s . %d", i, e.IP, e.Port))
			}
			return []string{fmt.Sprintf("meta l4proto %s dnat ip to numgen random mod %d map { %s }", proto, len(eps), strings.Join(m, " , "))}
		}
		var rules []string
		for _, e := range eps {
			rules = append(rules, fmt.Sprintf("ip saddr @%s goto %s", sp.affinitySet(e), sp.endpointChain(e)))
		}
		var vm []string
		for i, e := range eps {
			vm = append(vm, fmt.Sprintf("%d : goto %s", i, sp.endpointChain(e)))
		}
		return append(rules, fmt.Sprintf("numgen random mod %d vmap { %s }", len(eps), strings.Join(vm, " , ")))
	}
	if usesCluster {
		// (ClusterIP traffic from outside localCIDR is marked for
		// masquerading by one rule in proxy-services.)
		r.Chains = append(r.Chains, chain{sp.clusterChain(), dispatch(clusterEPs)})
	}
	if usesLocal {
		r.Chains = append(r.Chains, chain{sp.localChain(), dispatch(localEPs)})
	}
	if usesExternal {
		var rules []string
		if !sp.ExternalLocal {
			rules = []string{"jump " + markMasqChain, "goto " + sp.clusterChain()}
		} else {
			// Pods and the node itself reaching an externalTrafficPolicy
			// Local service by its external addresses are sent to any
			// endpoint, as kube-proxy does; others only to local ones.
			if g.localCIDR.IsValid() {
				rules = append(rules, fmt.Sprintf("ip saddr %s goto %s", g.localCIDR, sp.clusterChain()))
			}
			rules = append(rules,
				"fib saddr type local jump "+markMasqChain,
				"fib saddr type local goto "+sp.clusterChain(),
				"goto "+sp.localChain())
		}
		r.Chains = append(r.Chains, chain{sp.externalChain(), rules})
	}

	// Dispatch elements, or the no-endpoints verdicts.
	noEP := "goto " + rejectChain
	if all {
		noEP = "drop" // endpoints exist, but none this traffic may use (Local policy)
	}
	if len(internalEPs) > 0 {
		r.Elements = append(r.Elements, mapElem(serviceIPsMap, "goto "+internalChain, cip, proto, port))
	} else {
		r.Elements = append(r.Elements, mapElem(noEndpointServices, noEP, cip, proto, port))
	}
	for _, ip := range sp.ExternalIPs {
		if usesExternal {
			r.Elements = append(r.Elements, mapElem(serviceIPsMap, "goto "+sp.externalChain(), ip.String(), proto, port))
		} else {
			r.Elements = append(r.Elements, mapElem(noEndpointServices, noEP, ip.String(), proto, port))
		}
	}
	if sp.NodePort != 0 {
		np := fmt.Sprint(sp.NodePort)
		if usesExternal {
			r.Elements = append(r.Elements, mapElem(serviceNodePortsMap, "goto "+sp.externalChain(), proto, np))
		} else {
			r.Elements = append(r.Elements, mapElem(noEndpointNodePorts, noEP, proto, np))
		}
	}
}
