package cni

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"
	"github.com/containernetworking/plugins/pkg/ip"
	"github.com/containernetworking/plugins/pkg/netlinksafe"
	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
)

// ErrPluginNotAvailable is the STATUS error code (spec 1.1) for a plugin
// that cannot add containers now.
const ErrPluginNotAvailable uint = 50

// SupportedVersions are the CNI spec versions the plugin speaks.
var SupportedVersions = version.PluginSupports("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")

// Main runs the plugin: it reads CNI_* from the environment and the network
// config from stdin, writes the result or a CNI error to stdout and exits
// non-zero on error (skel's contract).
func Main() {
	skel.PluginMainFuncs(skel.CNIFuncs{
		Add:    cmdAdd,
		Del:    cmdDel,
		Check:  cmdCheck,
		Status: cmdStatus,
		GC:     cmdGC,
	}, SupportedVersions, "tinykube-cni: tinykube's bridge CNI plugin")
}

func cmdAdd(args *skel.CmdArgs) error {
	conf, err := ParseConfig(args.StdinData)
	if err != nil {
		return err
	}
	netns, err := ns.GetNS(args.Netns)
	if err != nil {
		return types.NewError(types.ErrInvalidNetNS, fmt.Sprintf("open netns %q", args.Netns), err.Error())
	}
	defer netns.Close()

	st, err := openStore(conf.DataDir, conf.Name)
	if err != nil {
		return types.NewError(types.ErrIOFailure, err.Error(), "")
	}
	defer st.Close()

	if err := ip.EnableIP4Forward(); err != nil {
		return fmt.Errorf("enable net.ipv4.ip_forward: %w", err)
	}
	br, err := ensureBridge(conf)
	if err != nil {
		return err
	}
	addr, err := st.allocate(conf.podNet, args.ContainerID, args.IfName)
	if errors.Is(err, errExhausted) {
		return types.NewError(ErrRangeExhausted, fmt.Sprintf("no free address in podCIDR %s", conf.podNet), "")
	}
	if err != nil {
		return types.NewError(types.ErrIOFailure, err.Error(), "")
	}
	result, err := attach(conf, args, netns, br, addr)
	if err != nil {
		_ = st.release(args.ContainerID, args.IfName)
		_ = deleteLink(hostVethName(args.ContainerID, args.IfName))
		return err
	}
	if conf.IPMasq {
		if err := ensureMasquerade(conf); err != nil {
			_ = st.release(args.ContainerID, args.IfName)
			_ = deleteLink(hostVethName(args.ContainerID, args.IfName))
			return err
		}
	}
	return types.PrintResult(result, conf.CNIVersion)
}

// attach makes the veth pair, puts the host side on the bridge and
// configures the container side (address, default route, loopback up).
func attach(conf *NetConf, args *skel.CmdArgs, netns ns.NetNS, br *netlink.Bridge, addr net.IP) (*current.Result, error) {
	hostName := hostVethName(args.ContainerID, args.IfName)
	// Leftovers of an earlier ADD of the same attachment (a repeated ADD,
	// or one that died half-way) are replaced.
	if err := deleteLink(hostName); err != nil {
		return nil, err
	}
	ipn := &net.IPNet{IP: addr, Mask: conf.podNet.Mask}
	var hostIf, contIf net.Interface
	err := netns.Do(func(hostNS ns.NetNS) error {
		if err := deleteLink(args.IfName); err != nil {
			return err
		}
		var err error
		hostIf, contIf, err = ip.SetupVethWithName(args.IfName, hostName, conf.MTU, "", hostNS)
		if err != nil {
			return fmt.Errorf("create veth pair: %w", err)
		}
		link, err := netlinksafe.LinkByName(args.IfName)
		if err != nil {
			return err
		}
		if err := netlink.AddrAdd(link, &netlink.Addr{IPNet: ipn}); err != nil {
			return fmt.Errorf("add %s to %s: %w", ipn, args.IfName, err)
		}
		if err := netlink.LinkSetUp(link); err != nil {
			return err
		}
		if err := ip.AddDefaultRoute(conf.gateway, link); err != nil {
			return fmt.Errorf("add default route via %s: %w", conf.gateway, err)
		}
		lo, err := netlinksafe.LinkByName("lo")
		if err != nil {
			return err
		}
		return netlink.LinkSetUp(lo)
	})
	if err != nil {
		return nil, err
	}
	hostLink, err := netlinksafe.LinkByName(hostName)
	if err != nil {
		return nil, err
	}
	if err := netlink.LinkSetMaster(hostLink, br); err != nil {
		return nil, fmt.Errorf("attach %s to %s: %w", hostName, br.Name, err)
	}
	if err := netlink.LinkSetHairpin(hostLink, conf.HairpinMode); err != nil {
		return nil, fmt.Errorf("hairpin on %s: %w", hostName, err)
	}
	brLink, err := netlinksafe.LinkByName(br.Name)
	if err != nil {
		return nil, err
	}
	return &current.Result{
		CNIVersion: current.ImplementedSpecVersion,
		Interfaces: []*current.Interface{
			{Name: br.Name, Mac: brLink.Attrs().HardwareAddr.String()},
			{Name: hostIf.Name, Mac: hostIf.HardwareAddr.String()},
			{Name: contIf.Name, Mac: contIf.HardwareAddr.String(), Sandbox: args.Netns},
		},
		IPs: []*current.IPConfig{{
			Interface: current.Int(2),
			Address:   *ipn,
			Gateway:   conf.gateway,
		}},
		Routes: []*types.Route{{Dst: net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}, GW: conf.gateway}},
		DNS:    conf.DNS,
	}, nil
}

// cmdDel releases the attachment. It is idempotent: a missing netns,
// interface or allocation is not an error, so DEL can be repeated.
func cmdDel(args *skel.CmdArgs) error {
	conf, err := ParseConfig(args.StdinData)
	if err != nil {
		return err
	}
	st, err := openStore(conf.DataDir, conf.Name)
	if err != nil {
		return types.NewError(types.ErrIOFailure, err.Error(), "")
	}
	defer st.Close()

	if args.Netns != "" {
		err := ns.WithNetNSPath(args.Netns, func(ns.NetNS) error { return deleteLink(args.IfName) })
		var notExist ns.NSPathNotExistErr
		if err != nil && !errors.As(err, &notExist) {
			return fmt.Errorf("delete %s in %s: %w", args.IfName, args.Netns, err)
		}
	}
	if err := deleteLink(hostVethName(args.ContainerID, args.IfName)); err != nil {
		return err
	}
	if err := st.release(args.ContainerID, args.IfName); err != nil {
		return types.NewError(types.ErrIOFailure, err.Error(), "")
	}
	if conf.IPMasq && len(st.allocations()) == 0 {
		return removeMasquerade(conf.Bridge)
	}
	return nil
}

// cmdCheck verifies that what ADD set up is still in place.
func cmdCheck(args *skel.CmdArgs) error {
	conf, err := ParseConfig(args.StdinData)
	if err != nil {
		return err
	}
	if conf.RawPrevResult == nil {
		return types.NewError(types.ErrInvalidNetworkConfig, "CHECK needs prevResult in the network config", "")
	}
	if err := version.ParsePrevResult(&conf.PluginConf); err != nil {
		return types.NewError(types.ErrDecodingFailure, "parse prevResult", err.Error())
	}
	prev, err := current.NewResultFromResult(conf.PrevResult)
	if err != nil {
		return types.NewError(types.ErrDecodingFailure, "convert prevResult", err.Error())
	}
	st, err := openStore(conf.DataDir, conf.Name)
	if err != nil {
		return types.NewError(types.ErrIOFailure, err.Error(), "")
	}
	allocated := st.lookup(args.ContainerID, args.IfName)
	st.Close()
	if allocated == nil {
		return types.NewError(types.ErrUnknownContainer, fmt.Sprintf("no address allocated to %s/%s", args.ContainerID, args.IfName), "")
	}
	var want *net.IPNet
	for _, c := range prev.IPs {
		if c.Address.IP.Equal(allocated) {
			want = &net.IPNet{IP: c.Address.IP, Mask: c.Address.Mask}
		}
	}
	if want == nil {
		return fmt.Errorf("prevResult does not hold the allocated address %s", allocated)
	}

	brLink, err := netlinksafe.LinkByName(conf.Bridge)
	if err != nil {
		return fmt.Errorf("bridge %s: %w", conf.Bridge, err)
	}
	if ok, err := hasAddr(brLink, &net.IPNet{IP: conf.gateway, Mask: conf.podNet.Mask}); err != nil || !ok {
		return fmt.Errorf("bridge %s lacks gateway address %s (%v)", conf.Bridge, conf.gateway, err)
	}
	hostLink, err := netlinksafe.LinkByName(hostVethName(args.ContainerID, args.IfName))
	if err != nil {
		return fmt.Errorf("host veth: %w", err)
	}
	if hostLink.Attrs().MasterIndex != brLink.Attrs().Index {
		return fmt.Errorf("host veth %s is not on bridge %s", hostLink.Attrs().Name, conf.Bridge)
	}
	if conf.IPMasq && !hasMasquerade(conf) {
		return fmt.Errorf("masquerade rules for %s are missing", conf.Bridge)
	}
	return ns.WithNetNSPath(args.Netns, func(ns.NetNS) error {
		link, err := netlinksafe.LinkByName(args.IfName)
		if err != nil {
			return fmt.Errorf("%s in %s: %w", args.IfName, args.Netns, err)
		}
		if ok, err := hasAddr(link, want); err != nil || !ok {
			return fmt.Errorf("%s lacks address %s (%v)", args.IfName, want, err)
		}
		routes, err := netlinksafe.RouteList(link, netlink.FAMILY_V4)
		if err != nil {
			return err
		}
		for _, r := range routes {
			if (r.Dst == nil || ip.IsIPNetZero(r.Dst)) && r.Gw.Equal(conf.gateway) {
				return nil
			}
		}
		return fmt.Errorf("%s has no default route via %s", args.IfName, conf.gateway)
	})
}

// cmdStatus reports whether ADD can work: the IPAM directory is usable
// and, with ipMasq, iptables is there.
func cmdStatus(args *skel.CmdArgs) error {
	conf, err := ParseConfig(args.StdinData)
	if err != nil {
		return err
	}
	st, err := openStore(conf.DataDir, conf.Name)
	if err != nil {
		return types.NewError(ErrPluginNotAvailable, "IPAM store unusable", err.Error())
	}
	st.Close()
	if conf.IPMasq {
		if _, err := exec.LookPath("iptables"); err != nil {
			return types.NewError(ErrPluginNotAvailable, "iptables not found for ipMasq", err.Error())
		}
	}
	return nil
}

// cmdGC (spec 1.1) releases every allocation and host veth that is not in
// the runtime's list of valid attachments.
func cmdGC(args *skel.CmdArgs) error {
	conf, err := ParseConfig(args.StdinData)
	if err != nil {
		return err
	}
	valid := map[string]bool{}
	for _, a := range conf.ValidAttachments {
		valid[owner(a.ContainerID, a.IfName)] = true
	}
	st, err := openStore(conf.DataDir, conf.Name)
	if err != nil {
		return types.NewError(types.ErrIOFailure, err.Error(), "")
	}
	defer st.Close()
	for _, o := range st.allocations() {
		if valid[o] {
			continue
		}
		id, ifName, ok := strings.Cut(o, "\n")
		if !ok {
			continue
		}
		_ = deleteLink(hostVethName(id, ifName))
		if err := st.release(id, ifName); err != nil {
			return err
		}
	}
	if conf.IPMasq && len(st.allocations()) == 0 {
		return removeMasquerade(conf.Bridge)
	}
	return nil
}

// Cleanup removes what the plugin made for a network on this host: the
// masquerade rules, the bridge and the IPAM directory. For node shutdown
// with cleanup and for tests; pods still attached lose their network.
func Cleanup(conf *NetConf) error {
	return errors.Join(RemoveBridge(conf.Bridge), removeStoreDir(conf.DataDir, conf.Name))
}

// RemoveBridge removes a bridge the plugin made and its masquerade rules;
// what is already gone is not an error.
func RemoveBridge(bridge string) error {
	return errors.Join(RemoveMasquerade(bridge), deleteLink(bridge))
}

// RemoveMasquerade removes the plugin's masquerade rules for a bridge, if
// any (none without iptables: the plugin could not have made them). For a
// node that cleans up, or switches to another plugin, with the bridge's
// pods gone.
func RemoveMasquerade(bridge string) error {
	if _, err := exec.LookPath("iptables"); err != nil {
		return nil
	}
	return removeMasquerade(bridge)
}
