package routes

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/containernetworking/plugins/pkg/testutils"
	"github.com/vishvananda/netlink"
)

// inNetns runs f in a new network namespace with a veth "eth0" at
// 192.168.77.10/24 (its peer in the namespace too), or skips without root.
func inNetns(t *testing.T, f func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces)")
	}
	netns, err := testutils.NewNS()
	if err != nil {
		t.Skip(err)
	}
	defer testutils.UnmountNS(netns)
	defer netns.Close()
	if err := netns.Do(func(ns.NetNS) error {
		for _, args := range [][]string{
			{"link", "add", "eth0", "type", "veth", "peer", "name", "peer0"},
			{"addr", "add", "192.168.77.10/24", "dev", "eth0"},
			{"link", "set", "eth0", "up"}, {"link", "set", "peer0", "up"},
		} {
			if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
				t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
			}
		}
		f()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func ipRoutes(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "-4", "route").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestSyncRoutes: host-gw routes are added, a stale route of the agent's
// own (a restart after a node left) is removed, a route the agent did
// not make is kept, and a gateway off the segment is reported per route
// without stopping the others.
func TestSyncRoutes(t *testing.T) {
	inNetns(t, func() {
		for _, args := range [][]string{
			{"route", "add", "10.99.0.0/24", "via", "192.168.77.20", "proto", "116"}, // stale, ours
			{"route", "add", "10.98.0.0/24", "via", "192.168.77.21"},                 // someone else's
		} {
			if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
				t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
			}
		}
		want := []Route{
			{Node: "b", Dst: netip.MustParsePrefix("10.244.1.0/24"), Gw: netip.MustParseAddr("192.168.77.11")},
			{Node: "far", Dst: netip.MustParsePrefix("10.244.2.0/24"), Gw: netip.MustParseAddr("172.31.0.1")},
		}
		added, removed, failed, err := syncRoutes(want, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(added) != 1 || len(removed) != 1 || len(failed) != 1 {
			t.Errorf("added %v, removed %v, failed %v", added, removed, failed)
		}
		r := ipRoutes(t)
		for _, s := range []string{"10.244.1.0/24 via 192.168.77.11 dev eth0 proto 116", "10.98.0.0/24 via 192.168.77.21"} {
			if !strings.Contains(r, s) {
				t.Errorf("no %q in\n%s", s, r)
			}
		}
		if strings.Contains(r, "10.99.0.0") {
			t.Errorf("stale route kept:\n%s", r)
		}
		// Again: nothing to do.
		if added, removed, _, err := syncRoutes(want[:1], 0); err != nil || len(added)+len(removed) != 0 {
			t.Errorf("second sync: added %v, removed %v, %v", added, removed, err)
		}
		// Nothing wanted: only our route goes.
		if _, removed, _, err := syncRoutes(nil, 0); err != nil || len(removed) != 1 {
			t.Errorf("empty sync: removed %v, %v", removed, err)
		}
		if r := ipRoutes(t); !strings.Contains(r, "10.98.0.0/24") || strings.Contains(r, "10.244.1.0") {
			t.Errorf("after the empty sync:\n%s", r)
		}
	})
}

// TestVXLANDevice: the device is made once (a second ensure keeps it and
// its MAC), neighbour and FDB entries follow the wanted routes, and
// deleteDevice removes it.
func TestVXLANDevice(t *testing.T) {
	inNetns(t, func() {
		local := netip.MustParseAddr("192.168.77.10")
		dev, err := ensureDevice(local, netip.MustParseAddr("10.244.0.0"))
		if err != nil {
			t.Fatal(err)
		}
		if dev.MTU != 1450 || dev.VxlanId != VNI || dev.Port != VXLANPort || dev.Learning {
			t.Errorf("device %+v", dev)
		}
		again, err := ensureDevice(local, netip.MustParseAddr("10.244.0.0"))
		if err != nil || again.Index != dev.Index || again.HardwareAddr.String() != dev.HardwareAddr.String() {
			t.Errorf("second ensure: %v, index %d→%d, MAC %s→%s", err, dev.Index, again.Index, dev.HardwareAddr, again.HardwareAddr)
		}
		mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
		want := []Route{
			{Node: "b", Dst: netip.MustParsePrefix("10.244.1.0/24"), Gw: netip.MustParseAddr("10.244.1.0"), MAC: mac("02:00:00:00:00:0b"), Remote: netip.MustParseAddr("192.168.77.11")},
			{Node: "c", Dst: netip.MustParsePrefix("10.244.2.0/24"), Gw: netip.MustParseAddr("10.244.2.0"), MAC: mac("02:00:00:00:00:0c"), Remote: netip.MustParseAddr("192.168.77.12")},
		}
		if err := syncNeighbours(dev.Index, want); err != nil {
			t.Fatal(err)
		}
		if _, _, failed, err := syncRoutes(want, dev.Index); err != nil || len(failed) > 0 {
			t.Fatalf("routes: %v %v", failed, err)
		}
		// c leaves.
		if err := syncNeighbours(dev.Index, want[:1]); err != nil {
			t.Fatal(err)
		}
		if _, removed, _, err := syncRoutes(want[:1], dev.Index); err != nil || len(removed) != 1 {
			t.Errorf("routes after c left: removed %v, %v", removed, err)
		}
		neigh, _ := exec.Command("ip", "neigh", "show", "dev", DeviceName).CombinedOutput()
		fdb, _ := exec.Command("bridge", "fdb", "show", "dev", DeviceName).CombinedOutput()
		routes, _ := exec.Command("ip", "route", "show", "dev", DeviceName).CombinedOutput()
		if !strings.Contains(string(neigh), "10.244.1.0 lladdr 02:00:00:00:00:0b PERMANENT") || strings.Contains(string(neigh), "10.244.2.0") {
			t.Errorf("neighbours:\n%s", neigh)
		}
		if !strings.Contains(string(fdb), "02:00:00:00:00:0b dst 192.168.77.11") || strings.Contains(string(fdb), "02:00:00:00:00:0c") {
			t.Errorf("fdb:\n%s", fdb)
		}
		if !strings.Contains(string(routes), "10.244.1.0/24 via 10.244.1.0 proto 116 onlink") || strings.Contains(string(routes), "10.244.2.0") {
			t.Errorf("routes:\n%s", routes)
		}
		if err := deleteDevice(); err != nil {
			t.Fatal(err)
		}
		if _, err := netlink.LinkByName(DeviceName); err == nil {
			t.Error("device left")
		}
		if err := deleteDevice(); err != nil {
			t.Errorf("second delete: %v", err)
		}
	})
}
