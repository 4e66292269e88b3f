package policy

import (
	"cmp"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The fixed objects of the ruleset (see doc.go for the layout).
const (
	IngressChain    = "policy-ingress"
	EgressChain     = "policy-egress"
	IngressIsolated = "policy-ingress-isolated"
	EgressIsolated  = "policy-egress-isolated"
	// Prefix starts the name of every object this package owns.
	Prefix = "policy-"
)

// Set types.
const (
	typeAddr      = "ipv4_addr"
	typePort      = "inet_proto . inet_service"
	typeAddrPort  = "ipv4_addr . inet_proto . inet_service"
	intervalFlags = true
)

// Set is one nftables set: its key type, whether it holds ranges, and its
// elements (each the nft text of one key), sorted.
type Set struct {
	Type     string
	Interval bool
	Elements []string
}

// Chain is one chain: base chains are the two fixed ones (Base); Comment
// names the policy of a per-policy chain.
type Chain struct {
	Base    bool
	Comment string
	Rules   []string
}

// Ruleset is the desired state of this package's objects in table inet
// tinykube, by name.
type Ruleset struct {
	Chains map[string]*Chain
	Sets   map[string]*Set
}

// Input is what the ruleset is computed from: the informers' objects and
// the node it is for.
type Input struct {
	NodeName   string
	Policies   []*networkingv1.NetworkPolicy
	Pods       []*corev1.Pod
	Namespaces []*corev1.Namespace
}

// Problem is a part of a policy that could not be used (a malformed
// ipBlock the API did not reject, a selector that does not parse); the
// part matches nothing, which keeps the policy's isolation.
type Problem struct {
	Policy string // namespace/name
	Err    error
}

// pod is what the computation needs of a Pod.
type pod struct {
	ns     string
	labels labels.Set
	ip     netip.Addr
	local  bool
	ports  []corev1.ContainerPort
}

// usable reports whether a pod takes part in policies: it has an IPv4
// address, is not on the host network and has not finished.
func usable(p *corev1.Pod) (netip.Addr, bool) {
	if p.Spec.HostNetwork || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return netip.Addr{}, false
	}
	ips := p.Status.PodIPs
	if len(ips) == 0 && p.Status.PodIP != "" {
		ips = []corev1.PodIP{{IP: p.Status.PodIP}}
	}
	for _, s := range ips {
		if a, err := netip.ParseAddr(s.IP); err == nil && a.Is4() {
			return a, true
		}
	}
	return netip.Addr{}, false
}

func containerPorts(p *corev1.Pod) []corev1.ContainerPort {
	var ps []corev1.ContainerPort
	for _, c := range p.Spec.Containers {
		ps = append(ps, c.Ports...)
	}
	for _, c := range p.Spec.InitContainers { // sidecars serve too
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			ps = append(ps, c.Ports...)
		}
	}
	return ps
}

// policyID is the short, stable name part of a policy's objects.
func policyID(ns, name string) string {
	sum := sha256.Sum256([]byte(ns + "/" + name))
	return strings.ToLower(base32.StdEncoding.EncodeToString(sum[:])[:13])
}

// Compute returns the ruleset for in: pure, deterministic, the same input
// gives the same ruleset. Only policies selecting a pod on in.NodeName
// get objects.
func Compute(in Input) (*Ruleset, []Problem) {
	c := computer{rs: &Ruleset{Chains: map[string]*Chain{}, Sets: map[string]*Set{}}, nsLabels: map[string]labels.Set{}, podsByNS: map[string][]*pod{}}
	for _, n := range in.Namespaces {
		c.nsLabels[n.Name] = labels.Set(n.Labels)
	}
	for _, p := range in.Pods {
		ip, ok := usable(p)
		if !ok {
			continue
		}
		q := &pod{ns: p.Namespace, labels: labels.Set(p.Labels), ip: ip, local: p.Spec.NodeName == in.NodeName, ports: containerPorts(p)}
		c.pods = append(c.pods, q)
		c.podsByNS[q.ns] = append(c.podsByNS[q.ns], q)
	}
	pols := slices.Clone(in.Policies)
	sort.Slice(pols, func(i, j int) bool {
		if pols[i].Namespace != pols[j].Namespace {
			return pols[i].Namespace < pols[j].Namespace
		}
		return pols[i].Name < pols[j].Name
	})
	ingress := []string{"meta nfproto != ipv4 accept", "ct state established,related accept", "ip daddr != @" + IngressIsolated + " accept"}
	egress := []string{"meta nfproto != ipv4 accept", "ct state established,related accept", "ip saddr != @" + EgressIsolated + " accept"}
	inIso, outIso := map[netip.Addr]bool{}, map[netip.Addr]bool{}
	for _, np := range pols {
		c.policy = np.Namespace + "/" + np.Name
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil {
			c.problem(fmt.Errorf("podSelector: %w", err))
			continue
		}
		var selected []*pod
		for _, q := range c.podsByNS[np.Namespace] {
			if q.local && sel.Matches(q.labels) {
				selected = append(selected, q)
			}
		}
		if len(selected) == 0 {
			continue
		}
		ing, eg := policyTypes(np)
		if !ing && !eg {
			continue
		}
		id := Prefix + policyID(np.Namespace, np.Name)
		podsSet := id + "-pods"
		addrs := make([]netip.Addr, len(selected))
		for i, q := range selected {
			addrs[i] = q.ip
		}
		c.rs.Sets[podsSet] = &Set{Type: typeAddr, Elements: addrElements(addrs)}
		if ing {
			chain := id + "-in"
			var rules []string
			for i, r := range np.Spec.Ingress {
				rules = append(rules, c.rule(fmt.Sprintf("%s-in%d", id, i), "saddr", r.From, r.Ports, selected)...)
			}
			c.rs.Chains[chain] = &Chain{Comment: c.policy + " ingress", Rules: rules}
			ingress = append(ingress, "ip daddr @"+podsSet+" jump "+chain)
			for _, a := range addrs {
				inIso[a] = true
			}
		}
		if eg {
			chain := id + "-out"
			var rules []string
			for i, r := range np.Spec.Egress {
				rules = append(rules, c.rule(fmt.Sprintf("%s-out%d", id, i), "daddr", r.To, r.Ports, c.pods)...)
			}
			c.rs.Chains[chain] = &Chain{Comment: c.policy + " egress", Rules: rules}
			egress = append(egress, "ip saddr @"+podsSet+" jump "+chain)
			for _, a := range addrs {
				outIso[a] = true
			}
		}
	}
	c.rs.Chains[IngressChain] = &Chain{Base: true, Rules: append(ingress, "drop")}
	c.rs.Chains[EgressChain] = &Chain{Base: true, Rules: append(egress, "drop")}
	c.rs.Sets[IngressIsolated] = &Set{Type: typeAddr, Elements: addrElements(keys(inIso))}
	c.rs.Sets[EgressIsolated] = &Set{Type: typeAddr, Elements: addrElements(keys(outIso))}
	return c.rs, c.problems
}

type computer struct {
	rs       *Ruleset
	nsLabels map[string]labels.Set
	pods     []*pod
	podsByNS map[string][]*pod
	policy   string
	problems []Problem
}

func (c *computer) problem(err error) {
	c.problems = append(c.problems, Problem{Policy: c.policy, Err: err})
}

// policyTypes is upstream's reading of spec.policyTypes: when empty,
// Ingress always and Egress if there are egress rules.
func policyTypes(np *networkingv1.NetworkPolicy) (ingress, egress bool) {
	if len(np.Spec.PolicyTypes) == 0 {
		return true, len(np.Spec.Egress) > 0
	}
	for _, t := range np.Spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			ingress = true
		case networkingv1.PolicyTypeEgress:
			egress = true
		}
	}
	return ingress, egress
}

// rule turns one ingress or egress rule into nft rules of the policy's
// chain, adding its sets under name. peerField is the packet field the
// peers are matched on (saddr for ingress, daddr for egress); named ports
// are resolved on the destination pods, candidates (the policy's
// selected pods for ingress, every pod for egress), and matched on
// daddr.
func (c *computer) rule(name, peerField string, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort, candidates []*pod) []string {
	match := ""
	var peerRanges []ipRange
	if len(peers) > 0 {
		peerRanges = c.peers(peers)
		set := name + "-peers"
		c.rs.Sets[set] = &Set{Type: typeAddr, Interval: intervalFlags, Elements: rangeElements(peerRanges)}
		match = "ip " + peerField + " @" + set + " "
	}
	if len(ports) == 0 {
		return []string{match + "accept"}
	}
	var numeric []string
	named := map[string]bool{}
	for _, p := range ports {
		proto := corev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		l4 := strings.ToLower(string(proto))
		if l4 != "tcp" && l4 != "udp" && l4 != "sctp" {
			c.problem(fmt.Errorf("unknown protocol %q", proto))
			continue
		}
		switch {
		case p.Port == nil:
			numeric = append(numeric, l4+" . 0-65535")
		case p.Port.Type == intstr.Int:
			lo := p.Port.IntVal
			if p.EndPort != nil && *p.EndPort > lo {
				numeric = append(numeric, fmt.Sprintf("%s . %d-%d", l4, lo, *p.EndPort))
			} else {
				numeric = append(numeric, fmt.Sprintf("%s . %d", l4, lo))
			}
		default:
			for _, q := range candidates {
				if peerField == "daddr" && len(peers) > 0 && !inRanges(peerRanges, q.ip) {
					continue
				}
				for _, cp := range q.ports {
					cpProto := cp.Protocol
					if cpProto == "" {
						cpProto = corev1.ProtocolTCP
					}
					if cp.Name == p.Port.StrVal && cpProto == proto {
						named[fmt.Sprintf("%s . %s . %d", q.ip, l4, cp.ContainerPort)] = true
					}
				}
			}
		}
	}
	var out []string
	if len(numeric) > 0 {
		set := name + "-ports"
		c.rs.Sets[set] = &Set{Type: typePort, Interval: intervalFlags, Elements: mergePorts(numeric)}
		out = append(out, match+"meta l4proto . th dport @"+set+" accept")
	}
	if len(named) > 0 || len(numeric) == 0 {
		// A rule whose named ports resolve to nothing still gets its
		// (empty) set, so it shows and fills in when a pod appears.
		set := name + "-named"
		c.rs.Sets[set] = &Set{Type: typeAddrPort, Elements: sortedKeys(named)}
		out = append(out, match+"ip daddr . meta l4proto . th dport @"+set+" accept")
	}
	return out
}

// peers is the union of the addresses the peers allow: pods by namespace
// and pod selector (any node), and ipBlocks less their excepts.
func (c *computer) peers(peers []networkingv1.NetworkPolicyPeer) []ipRange {
	var rs []ipRange
	for _, peer := range peers {
		if peer.IPBlock != nil {
			r, err := ipBlockRanges(peer.IPBlock)
			if err != nil {
				c.problem(err)
				continue
			}
			rs = append(rs, r...)
			continue
		}
		var nsSel, podSel labels.Selector = nil, labels.Everything()
		var err error
		if peer.NamespaceSelector != nil {
			if nsSel, err = metav1.LabelSelectorAsSelector(peer.NamespaceSelector); err != nil {
				c.problem(fmt.Errorf("namespaceSelector: %w", err))
				continue
			}
		}
		if peer.PodSelector != nil {
			if podSel, err = metav1.LabelSelectorAsSelector(peer.PodSelector); err != nil {
				c.problem(fmt.Errorf("podSelector: %w", err))
				continue
			}
		}
		if nsSel == nil { // the policy's own namespace
			ns := strings.SplitN(c.policy, "/", 2)[0]
			for _, q := range c.podsByNS[ns] {
				if podSel.Matches(q.labels) {
					rs = append(rs, ipRange{u32(q.ip), u32(q.ip)})
				}
			}
			continue
		}
		for ns, qs := range c.podsByNS {
			nl, ok := c.nsLabels[ns]
			if !ok || !nsSel.Matches(nl) {
				continue
			}
			for _, q := range qs {
				if podSel.Matches(q.labels) {
					rs = append(rs, ipRange{u32(q.ip), u32(q.ip)})
				}
			}
		}
	}
	return normalize(rs)
}

// ipRange is an inclusive range of IPv4 addresses (as numbers: sorting
// netip.Addrs costs write barriers).
type ipRange struct{ lo, hi uint32 }

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addr(u uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)})
}

func prefixRange(p netip.Prefix) ipRange {
	p = p.Masked()
	lo := u32(p.Addr())
	hi := lo | uint32(uint64(1)<<(32-p.Bits())-1)
	return ipRange{lo, hi}
}

// ipBlockRanges is cidr minus every except, as ranges. An IPv6 block is
// no range here (IPv4 only); a malformed CIDR is an error.
func ipBlockRanges(b *networkingv1.IPBlock) ([]ipRange, error) {
	p, err := netip.ParsePrefix(b.CIDR)
	if err != nil {
		return nil, fmt.Errorf("ipBlock cidr %q: %w", b.CIDR, err)
	}
	if !p.Addr().Is4() {
		return nil, nil
	}
	out := []ipRange{prefixRange(p)}
	for _, e := range b.Except {
		ep, err := netip.ParsePrefix(e)
		if err != nil {
			return nil, fmt.Errorf("ipBlock except %q: %w", e, err)
		}
		if !ep.Addr().Is4() {
			continue
		}
		out = subtract(out, prefixRange(ep))
	}
	return out, nil
}

func subtract(rs []ipRange, x ipRange) []ipRange {
	var out []ipRange
	for _, r := range rs {
		if x.hi < r.lo || x.lo > r.hi {
			out = append(out, r)
			continue
		}
		if x.lo > r.lo {
			out = append(out, ipRange{r.lo, x.lo - 1})
		}
		if x.hi < r.hi {
			out = append(out, ipRange{x.hi + 1, r.hi})
		}
	}
	return out
}

// normalize sorts ranges and merges overlapping and adjacent ones, so an
// interval set gets disjoint elements.
func normalize(rs []ipRange) []ipRange {
	if len(rs) == 0 {
		return nil
	}
	slices.SortFunc(rs, func(a, b ipRange) int { return cmp.Compare(a.lo, b.lo) })
	out := []ipRange{rs[0]}
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if uint64(r.lo) <= uint64(last.hi)+1 {
			last.hi = max(last.hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

// inRanges: rs sorted and disjoint (normalize).
func inRanges(rs []ipRange, a netip.Addr) bool {
	u := u32(a)
	i := sort.Search(len(rs), func(i int) bool { return rs[i].hi >= u })
	return i < len(rs) && rs[i].lo <= u
}

func rangeElements(rs []ipRange) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		if r.lo == r.hi {
			out[i] = addr(r.lo).String()
		} else {
			out[i] = addr(r.lo).String() + "-" + addr(r.hi).String()
		}
	}
	return out
}

func addrElements(as []netip.Addr) []string {
	as = slices.Clone(as) // Compact clears the tail; callers keep theirs
	slices.SortFunc(as, netip.Addr.Compare)
	as = slices.Compact(as)
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

// mergePorts turns "proto . lo[-hi]" entries into disjoint, sorted
// elements of an interval set.
func mergePorts(entries []string) []string {
	type pr struct {
		proto  string
		lo, hi int
	}
	var ps []pr
	for _, e := range entries {
		proto, rng, _ := strings.Cut(e, " . ")
		lo, hi, isRange := strings.Cut(rng, "-")
		l, _ := strconv.Atoi(lo)
		h := l
		if isRange {
			h, _ = strconv.Atoi(hi)
		}
		ps = append(ps, pr{proto, l, h})
	}
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].proto != ps[j].proto {
			return ps[i].proto < ps[j].proto
		}
		return ps[i].lo < ps[j].lo
	})
	var merged []pr
	for _, p := range ps {
		if n := len(merged); n > 0 && merged[n-1].proto == p.proto && p.lo <= merged[n-1].hi+1 {
			merged[n-1].hi = max(merged[n-1].hi, p.hi)
			continue
		}
		merged = append(merged, p)
	}
	out := make([]string, len(merged))
	for i, p := range merged {
		if p.lo == p.hi {
			out[i] = fmt.Sprintf("%s . %d", p.proto, p.lo)
		} else {
			out[i] = fmt.Sprintf("%s . %d-%d", p.proto, p.lo, p.hi)
		}
	}
	return out
}

func keys(m map[netip.Addr]bool) []netip.Addr {
	out := make([]netip.Addr, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
