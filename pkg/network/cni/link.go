package cni

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/containernetworking/plugins/pkg/netlinksafe"
	"github.com/vishvananda/netlink"
)

// hostVethName is the host side of a pod's veth pair: derived from the
// container ID and interface name, so DEL finds it even when the
// container's netns is already gone.
func hostVethName(containerID, ifName string) string {
	sum := sha256.Sum256([]byte(containerID + "/" + ifName))
	return "tkv" + hex.EncodeToString(sum[:])[:10]
}

// ensureBridge creates the bridge if it is missing (or reuses it), gives it
// the gateway address and brings it up. Safe to call concurrently with
// another process doing the same.
func ensureBridge(c *NetConf) (*netlink.Bridge, error) {
	link, err := netlinksafe.LinkByName(c.Bridge)
	if err != nil {
		if !isNotFound(err) {
			return nil, fmt.Errorf("bridge %s: %w", c.Bridge, err)
		}
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: c.Bridge, MTU: c.MTU, TxQLen: -1}}
		if err := netlink.LinkAdd(br); err != nil && !errors.Is(err, syscall.EEXIST) {
			return nil, fmt.Errorf("create bridge %s: %w", c.Bridge, err)
		}
		if link, err = netlinksafe.LinkByName(c.Bridge); err != nil {
			return nil, fmt.Errorf("bridge %s: %w", c.Bridge, err)
		}
	}
	br, ok := link.(*netlink.Bridge)
	if !ok {
		return nil, fmt.Errorf("%s exists and is a %s, not a bridge", c.Bridge, link.Type())
	}
	gw := &netlink.Addr{IPNet: &net.IPNet{IP: c.gateway, Mask: c.podNet.Mask}}
	if err := netlink.AddrAdd(br, gw); err != nil && !errors.Is(err, syscall.EEXIST) {
		return nil, fmt.Errorf("add %s to bridge %s: %w", gw.IPNet, c.Bridge, err)
	}
	if err := netlink.LinkSetUp(br); err != nil {
		return nil, fmt.Errorf("set bridge %s up: %w", c.Bridge, err)
	}
	return br, nil
}

// deleteLink removes a link by name; a missing link is not an error.
func deleteLink(name string) error {
	link, err := netlinksafe.LinkByName(name)
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return err
	}
	if err := netlink.LinkDel(link); err != nil && !isNotFound(err) {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
}

func isNotFound(err error) bool {
	var lnf netlink.LinkNotFoundError
	return errors.As(err, &lnf) || errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ENOENT)
}

// hasAddr reports whether link carries ip/mask.
func hasAddr(link netlink.Link, want *net.IPNet) (bool, error) {
	addrs, err := netlinksafe.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		return false, err
	}
	for _, a := range addrs {
		if a.IPNet.IP.Equal(want.IP) && a.IPNet.Mask.String() == want.Mask.String() {
			return true, nil
		}
	}
	return false, nil
}
