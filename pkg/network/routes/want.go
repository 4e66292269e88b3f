package routes

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Mode is how pod traffic reaches other nodes (--pod-network).
type Mode string

const (
	ModeHostGW Mode = "host-gw"
	ModeVXLAN  Mode = "vxlan"
	ModeNone   Mode = "none"
)

// ParseMode checks a --pod-network value ("" is ModeHostGW).
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "":
		return ModeHostGW, nil
	case ModeHostGW, ModeVXLAN, ModeNone:
		return Mode(s), nil
	}
	return "", fmt.Errorf("pod network %q: want %q, %q or %q", s, ModeHostGW, ModeVXLAN, ModeNone)
}

// VXLAN parameters, flannel's defaults.
const (
	VNI        = 1
	VXLANPort  = 8472
	DeviceName = "tinykube.1"
	// vxlanOverhead is what VXLAN encapsulation takes from the parent's
	// MTU (IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14).
	vxlanOverhead = 50
)

// Annotations a node publishes on its own Node in vxlan mode, as
// flannel's flannel.alpha.coreos.com/backend-type and backend-data.
const (
	BackendTypeAnnotation = "network.tinykube.io/backend-type"
	BackendDataAnnotation = "network.tinykube.io/backend-data"
)

// BackendData is BackendDataAnnotation's JSON (flannel's vxlan
// backend-data).
type BackendData struct {
	VNI     int    `json:"VNI"`
	VtepMAC string `json:"VtepMAC"`
}

// SimulatedLabel marks the Nodes of simulated nodes (pkg/node), whose
// pods have no network to route to.
const SimulatedLabel = "node.tinykube.io/simulated"

// Route is one route the node wants to another node's pods.
type Route struct {
	// Node is the remote node's name.
	Node string
	// Dst is one of its podCIDRs.
	Dst netip.Prefix
	// Gw is the next hop: its InternalIP (host-gw) or its VTEP address,
	// Dst's network address (vxlan).
	Gw netip.Addr
	// vxlan: the remote VTEP's MAC and the InternalIP its VXLAN packets
	// go to.
	MAC    net.HardwareAddr
	Remote netip.Addr
}

func (r Route) String() string {
	if r.MAC != nil {
		return fmt.Sprintf("%s via %s (vtep %s at %s) to %s", r.Dst, r.Gw, r.MAC, r.Remote, r.Node)
	}
	return fmt.Sprintf("%s via %s to %s", r.Dst, r.Gw, r.Node)
}

// Self is what the node needs of its own Node.
type Self struct {
	// CIDRs are its podCIDRs, IP4 its IPv4 InternalIP (the VXLAN
	// device's local address); both empty until known.
	CIDRs []netip.Prefix
	IP4   netip.Addr
	// Annotations are its current ones (vxlan: is the MAC published?).
	Annotations map[string]string
}

// Wanted computes the routes node self wants in mode from all Nodes:
// one per podCIDR of every other node. Nodes (or podCIDRs) that cannot be
// routed are left out and explained in skipped (node name → reason); a
// node with no podCIDR or InternalIP yet, or (vxlan) no published VTEP yet, is left
// out without a reason, as it is merely not ready; so are simulated
// nodes (SimulatedLabel).
func Wanted(self string, nodes []*corev1.Node, mode Mode) (me Self, routes []Route, skipped map[string]string) {
	skipped = map[string]string{}
	nodes = slices.Clone(nodes)
	// Oldest first: when two Nodes claim overlapping podCIDRs the one
	// that was there first keeps its route (a new Node cannot take over
	// another's pods).
	slices.SortFunc(nodes, func(a, b *corev1.Node) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	for _, n := range nodes {
		if n.Name == self {
			me.CIDRs, _ = podCIDRs(n)
			me.IP4, _, _ = internalIPs(n)
			me.Annotations = n.Annotations
		}
	}
	// claimed: CIDRs already routed (or the node's own), so that two
	// Nodes claiming one podCIDR do not fight over the route.
	claimed := slices.Clone(me.CIDRs)
	overlaps := func(p netip.Prefix) bool {
		return slices.ContainsFunc(claimed, func(q netip.Prefix) bool { return q.Overlaps(p) })
	}
	for _, n := range nodes {
		if n.Name == self || mode == ModeNone || n.Labels[SimulatedLabel] == "true" {
			continue
		}
		cidrs, err := podCIDRs(n)
		if err != nil {
			skipped[n.Name] = err.Error()
			continue
		}
		if len(cidrs) == 0 {
			continue
		}
		ip4, ip6, err := internalIPs(n)
		if err != nil {
			skipped[n.Name] = err.Error()
			continue
		}
		if !ip4.IsValid() && !ip6.IsValid() {
			continue // not registered yet
		}
		var mac net.HardwareAddr
		if mode == ModeVXLAN {
			if mac, err = vtepMAC(n); err != nil || mac == nil {
				if err != nil {
					skipped[n.Name] = err.Error()
				}
				continue
			}
		}
		var reasons []string
		for _, c := range cidrs {
			r := Route{Node: n.Name, Dst: c}
			switch {
			case overlaps(c):
				reasons = append(reasons, fmt.Sprintf("podCIDR %s overlaps this node's or another node's", c))
				continue
			case mode == ModeVXLAN && !c.Addr().Is4():
				reasons = append(reasons, fmt.Sprintf("podCIDR %s: vxlan routes IPv4 only", c))
				continue
			case mode == ModeVXLAN && !ip4.IsValid():
				reasons = append(reasons, fmt.Sprintf("podCIDR %s: no IPv4 InternalIP to send VXLAN packets to", c))
				continue
			case mode == ModeVXLAN:
				r.Gw, r.MAC, r.Remote = c.Addr(), mac, ip4
			case c.Addr().Is4() && ip4.IsValid():
				r.Gw = ip4
			case c.Addr().Is6() && ip6.IsValid():
				r.Gw = ip6
			default:
				reasons = append(reasons, fmt.Sprintf("podCIDR %s: no InternalIP of its family", c))
				continue
			}
			claimed = append(claimed, c)
			routes = append(routes, r)
		}
		if len(reasons) > 0 {
			skipped[n.Name] = strings.Join(reasons, "; ")
		}
	}
	return me, routes, skipped
}

// podCIDRs parses a Node's spec.podCIDRs (else spec.podCIDR). A CIDR
// with host bits set is taken as its network, as the API server's
// validation allows; a /0 (a default route) or an unparsable one is an
// error.
func podCIDRs(n *corev1.Node) ([]netip.Prefix, error) {
	ss := n.Spec.PodCIDRs
	if len(ss) == 0 && n.Spec.PodCIDR != "" {
		ss = []string{n.Spec.PodCIDR}
	}
	var out []netip.Prefix
	for _, s := range ss {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("malformed podCIDR %q: %v", s, err)
		}
		if p.Bits() == 0 {
			return nil, fmt.Errorf("podCIDR %q would be a default route", s)
		}
		p = p.Masked()
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// internalIPs returns a Node's first IPv4 and first IPv6 InternalIP
// (none: both invalid). A malformed one is an error.
func internalIPs(n *corev1.Node) (ip4, ip6 netip.Addr, err error) {
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		ip, perr := netip.ParseAddr(a.Address)
		if perr != nil || ip.Zone() != "" || ip.IsUnspecified() || ip.IsLoopback() || ip.IsMulticast() {
			return netip.Addr{}, netip.Addr{}, fmt.Errorf("malformed InternalIP %q", a.Address)
		}
		ip = ip.Unmap()
		switch {
		case ip.Is4() && !ip4.IsValid():
			ip4 = ip
		case ip.Is6() && !ip6.IsValid():
			ip6 = ip
		}
	}
	return ip4, ip6, nil
}

// vtepMAC reads a Node's BackendDataAnnotation: nil without one (not
// published yet, or a node of another mode), an error when malformed.
func vtepMAC(n *corev1.Node) (net.HardwareAddr, error) {
	s, ok := n.Annotations[BackendDataAnnotation]
	if !ok {
		return nil, nil
	}
	var d BackendData
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return nil, fmt.Errorf("malformed %s %q: %v", BackendDataAnnotation, s, err)
	}
	if d.VNI != VNI {
		return nil, fmt.Errorf("%s: VNI %d, want %d", BackendDataAnnotation, d.VNI, VNI)
	}
	mac, err := net.ParseMAC(d.VtepMAC)
	if err != nil || len(mac) != 6 || mac[0]&1 == 1 {
		return nil, fmt.Errorf("%s: malformed VtepMAC %q", BackendDataAnnotation, d.VtepMAC)
	}
	return mac, nil
}
