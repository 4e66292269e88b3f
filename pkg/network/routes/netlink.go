package routes

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Protocol marks the routes the agent makes (rtm_protocol; `ip route`
// shows "proto 116"). It removes no route without it.
const Protocol netlink.RouteProtocol = 116

// ownedRoutes lists the main table's routes with Protocol.
func ownedRoutes() ([]netlink.Route, error) {
	return netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Protocol: Protocol, Table: unix.RT_TABLE_MAIN},
		netlink.RT_FILTER_PROTOCOL|netlink.RT_FILTER_TABLE)
}

func toPrefix(n *net.IPNet) netip.Prefix {
	if n == nil {
		return netip.Prefix{}
	}
	a, _ := netip.AddrFromSlice(n.IP)
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones)
}

func toAddr(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

func toIPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// nlRoute is w as a kernel route: via its gateway (host-gw, dev 0: the
// kernel picks the link) or onlink on the VXLAN device dev.
func nlRoute(w Route, dev int) *netlink.Route {
	r := &netlink.Route{Dst: toIPNet(w.Dst), Gw: w.Gw.AsSlice(), Protocol: Protocol, Table: unix.RT_TABLE_MAIN}
	if dev != 0 {
		r.LinkIndex, r.Flags = dev, int(netlink.FLAG_ONLINK)
	}
	return r
}

// syncRoutes makes the owned routes exactly want: routes to podCIDRs no
// longer wanted (or via another gateway or link) go, missing ones are
// added. It returns what it changed and an error per route it could not
// add (keyed by the route's String).
func syncRoutes(want []Route, dev int) (added, removed []string, failed map[string]error, err error) {
	have, err := ownedRoutes()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("listing routes: %w", err)
	}
	byDst := map[netip.Prefix]Route{}
	for _, w := range want {
		byDst[w.Dst] = w
	}
	present := map[netip.Prefix]bool{}
	var errs []error
	for _, h := range have {
		dst := toPrefix(h.Dst)
		w, ok := byDst[dst]
		if ok && toAddr(h.Gw) == w.Gw && !present[dst] &&
			(dev == 0 || (h.LinkIndex == dev && h.Flags&int(netlink.FLAG_ONLINK) != 0)) {
			present[dst] = true
			continue
		}
		if err := netlink.RouteDel(&h); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("removing route %s via %s: %w", dst, toAddr(h.Gw), err))
			continue
		}
		removed = append(removed, fmt.Sprintf("%s via %s", dst, toAddr(h.Gw)))
	}
	failed = map[string]error{}
	for _, w := range want {
		if present[w.Dst] {
			continue
		}
		if err := netlink.RouteReplace(nlRoute(w, dev)); err != nil {
			failed[w.String()] = err
			continue
		}
		added = append(added, w.String())
	}
	return added, removed, failed, errors.Join(errs...)
}

// parentLink is the link holding the node's address ip.
func parentLink(ip netip.Addr) (netlink.Link, error) {
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		if toAddr(a.IP) == ip {
			return netlink.LinkByIndex(a.LinkIndex)
		}
	}
	return nil, fmt.Errorf("no link has the node's address %s", ip)
}

// PodMTU is the MTU pods must use with mode on a node whose InternalIP is
// nodeIP (invalid: the default route's link): the VXLAN device's for
// ModeVXLAN, 0 (the plugin's default) otherwise.
func PodMTU(mode Mode, nodeIP netip.Addr) (int, error) {
	if mode != ModeVXLAN {
		return 0, nil
	}
	var parent netlink.Link
	var err error
	if nodeIP.IsValid() {
		parent, err = parentLink(nodeIP)
	} else {
		var rs []netlink.Route
		rs, err = netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
		i := slices.IndexFunc(rs, func(r netlink.Route) bool { return r.Dst == nil || toPrefix(r.Dst).Bits() == 0 })
		if err == nil && i < 0 {
			err = errors.New("no default route")
		}
		if err == nil {
			parent, err = netlink.LinkByIndex(rs[i].LinkIndex)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("pod MTU: %w", err)
	}
	return parent.Attrs().MTU - vxlanOverhead, nil
}

// ensureDevice makes the VXLAN device (VNI, port, local address local on
// its parent link, learning off, MTU parent's - 50) and its VTEP address
// vtep/32, keeping a matching device (and so its MAC) as it is; one made
// with other parameters is made again.
func ensureDevice(local, vtep netip.Addr) (*netlink.Vxlan, error) {
	parent, err := parentLink(local)
	if err != nil {
		return nil, err
	}
	mtu := parent.Attrs().MTU - vxlanOverhead
	var dev *netlink.Vxlan
	if l, err := netlink.LinkByName(DeviceName); err == nil {
		v, ok := l.(*netlink.Vxlan)
		if ok && v.VxlanId == VNI && v.VtepDevIndex == parent.Attrs().Index && toAddr(v.SrcAddr) == local && v.Port == VXLANPort && !v.Learning {
			dev = v
		} else if err := netlink.LinkDel(l); err != nil {
			return nil, fmt.Errorf("replacing %s: %w", DeviceName, err)
		}
	}
	if dev == nil {
		v := &netlink.Vxlan{LinkAttrs: netlink.LinkAttrs{Name: DeviceName, MTU: mtu}, VxlanId: VNI,
			VtepDevIndex: parent.Attrs().Index, SrcAddr: local.AsSlice(), Port: VXLANPort, Learning: false}
		if err := netlink.LinkAdd(v); err != nil {
			return nil, fmt.Errorf("adding %s: %w", DeviceName, err)
		}
		l, err := netlink.LinkByName(DeviceName)
		if err != nil {
			return nil, err
		}
		dev = l.(*netlink.Vxlan)
	}
	if dev.MTU != mtu {
		if err := netlink.LinkSetMTU(dev, mtu); err != nil {
			return nil, fmt.Errorf("%s mtu %d: %w", DeviceName, mtu, err)
		}
	}
	addrs, err := netlink.AddrList(dev, netlink.FAMILY_ALL)
	if err != nil {
		return nil, err
	}
	want := netip.PrefixFrom(vtep, 32)
	found := false
	for _, a := range addrs {
		if toPrefix(a.IPNet) == want {
			found = true
			continue
		}
		if err := netlink.AddrDel(dev, &a); err != nil {
			return nil, fmt.Errorf("%s: removing address %s: %w", DeviceName, a.IPNet, err)
		}
	}
	if !found {
		if err := netlink.AddrAdd(dev, &netlink.Addr{IPNet: toIPNet(want)}); err != nil {
			return nil, fmt.Errorf("%s: address %s: %w", DeviceName, want, err)
		}
	}
	if err := netlink.LinkSetUp(dev); err != nil {
		return nil, err
	}
	return dev, nil
}

// deleteDevice removes the VXLAN device (and with it every route, neighbour
// and FDB entry on it), if there is one.
func deleteDevice() error {
	l, err := netlink.LinkByName(DeviceName)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return err
	}
	return netlink.LinkDel(l)
}

// syncNeighbours makes the device's permanent neighbour entries (VTEP
// address → MAC) and FDB entries (MAC → remote InternalIP) exactly want's.
func syncNeighbours(dev int, want []Route) error {
	var errs []error
	arp, fdb := map[netip.Addr]string{}, map[string]netip.Addr{}
	for _, w := range want {
		arp[w.Gw] = w.MAC.String()
		fdb[w.MAC.String()] = w.Remote
	}
	have, err := netlink.NeighList(dev, netlink.FAMILY_V4)
	if err != nil {
		return err
	}
	for _, n := range have {
		if mac, ok := arp[toAddr(n.IP)]; (!ok || mac != n.HardwareAddr.String()) && n.State&netlink.NUD_PERMANENT != 0 {
			if err := netlink.NeighDel(&n); err != nil {
				errs = append(errs, fmt.Errorf("removing neighbour %s: %w", n.IP, err))
			}
		}
	}
	have, err = netlink.NeighList(dev, unix.AF_BRIDGE)
	if err != nil {
		return err
	}
	for _, n := range have {
		if ip, ok := fdb[n.HardwareAddr.String()]; !ok || ip != toAddr(n.IP) {
			n.Family, n.Flags, n.State = unix.AF_BRIDGE, netlink.NTF_SELF, netlink.NUD_PERMANENT
			if err := netlink.NeighDel(&n); err != nil {
				errs = append(errs, fmt.Errorf("removing fdb entry %s dst %s: %w", n.HardwareAddr, n.IP, err))
			}
		}
	}
	for _, w := range want {
		if err := netlink.NeighSet(&netlink.Neigh{LinkIndex: dev, Family: netlink.FAMILY_V4, State: netlink.NUD_PERMANENT,
			Type: unix.RTN_UNICAST, IP: w.Gw.AsSlice(), HardwareAddr: w.MAC}); err != nil {
			errs = append(errs, fmt.Errorf("neighbour %s: %w", w.Gw, err))
		}
		if err := netlink.NeighSet(&netlink.Neigh{LinkIndex: dev, Family: unix.AF_BRIDGE, Flags: netlink.NTF_SELF,
			State: netlink.NUD_PERMANENT, IP: w.Remote.AsSlice(), HardwareAddr: w.MAC}); err != nil {
			errs = append(errs, fmt.Errorf("fdb entry %s dst %s: %w", w.MAC, w.Remote, err))
		}
	}
	return errors.Join(errs...)
}
