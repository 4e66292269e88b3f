package routes

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func node(name string, cidrs []string, ips ...string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{PodCIDRs: cidrs}}
	if len(cidrs) > 0 {
		n.Spec.PodCIDR = cidrs[0]
	}
	for _, ip := range ips {
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip})
	}
	n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeHostName, Address: name})
	return n
}

func withVTEP(n *corev1.Node, data string) *corev1.Node {
	n.Annotations = map[string]string{BackendDataAnnotation: data}
	return n
}

func TestWantedHostGW(t *testing.T) {
	sim := node("sim", []string{"10.244.9.0/24"}, "172.18.0.2")
	sim.Labels = map[string]string{SimulatedLabel: "true"}
	// "a-late" claims b's podCIDR and sorts before it by name; b was
	// there first and keeps it.
	late := node("a-late", []string{"10.244.1.0/24"}, "192.168.1.19")
	late.CreationTimestamp = metav1.NewTime(time.Now())
	nodes := []*corev1.Node{
		node("me", []string{"10.244.0.0/24"}, "192.168.1.10"),
		node("b", []string{"10.244.1.0/24", "fd00:1::/64"}, "192.168.1.11", "fd00::11"),
		node("c", []string{"10.244.2.7/24"}, "192.168.1.12"), // host bits: its network
		node("new", nil, "192.168.1.13"),                     // no podCIDR yet: not ready, no reason
		node("bad-cidr", []string{"10.244.300.0/24"}, "192.168.1.14"),
		node("default", []string{"0.0.0.0/0"}, "192.168.1.15"),
		node("bad-ip", []string{"10.244.5.0/24"}, "192.168.1.x"),
		node("no-ip", []string{"10.244.6.0/24"}),
		node("dup", []string{"10.244.1.0/25"}, "192.168.1.16"),  // overlaps b's
		node("mine", []string{"10.244.0.0/24"}, "192.168.1.17"), // overlaps me's
		node("v6only", []string{"10.244.7.0/24"}, "fd00::18"),
		sim, late,
	}
	me, routes, skipped := Wanted("me", nodes, ModeHostGW)
	if len(me.CIDRs) != 1 || me.CIDRs[0] != netip.MustParsePrefix("10.244.0.0/24") || me.IP4 != netip.MustParseAddr("192.168.1.10") {
		t.Errorf("self: %+v", me)
	}
	var got []string
	for _, r := range routes {
		got = append(got, r.String())
	}
	want := []string{
		"10.244.1.0/24 via 192.168.1.11 to b",
		"fd00:1::/64 via fd00::11 to b",
		"10.244.2.0/24 via 192.168.1.12 to c",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("routes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for name, reason := range map[string]string{
		"bad-cidr": "malformed podCIDR", "default": "default route", "bad-ip": "malformed InternalIP",
		"dup": "overlaps", "mine": "overlaps", "v6only": "no InternalIP of its family", "a-late": "overlaps",
	} {
		if !strings.Contains(skipped[name], reason) {
			t.Errorf("node %s: skipped %q, want a reason with %q", name, skipped[name], reason)
		}
	}
	for _, name := range []string{"me", "b", "c", "new", "sim", "no-ip"} {
		if r, ok := skipped[name]; ok {
			t.Errorf("node %s skipped: %s", name, r)
		}
	}
	if _, routes, _ := Wanted("me", nodes, ModeNone); len(routes) != 0 {
		t.Errorf("mode none: %v", routes)
	}
}

func TestWantedVXLAN(t *testing.T) {
	nodes := []*corev1.Node{
		withVTEP(node("me", []string{"10.244.0.0/24"}, "192.168.1.10"), `{"VNI":1,"VtepMAC":"02:00:00:00:00:0a"}`),
		withVTEP(node("b", []string{"10.244.1.0/24", "fd00:1::/64"}, "192.168.1.11"), `{"VNI":1,"VtepMAC":"02:00:00:00:00:0b"}`),
		node("unpublished", []string{"10.244.2.0/24"}, "192.168.1.12"),
		withVTEP(node("bad-json", []string{"10.244.3.0/24"}, "192.168.1.13"), `{"VNI":1,`),
		withVTEP(node("bad-mac", []string{"10.244.4.0/24"}, "192.168.1.14"), `{"VNI":1,"VtepMAC":"zz"}`),
		withVTEP(node("other-vni", []string{"10.244.5.0/24"}, "192.168.1.15"), `{"VNI":2,"VtepMAC":"02:00:00:00:00:0f"}`),
		withVTEP(node("v6", []string{"10.244.6.0/24"}, "fd00::16"), `{"VNI":1,"VtepMAC":"02:00:00:00:00:10"}`),
	}
	me, routes, skipped := Wanted("me", nodes, ModeVXLAN)
	if me.Annotations[BackendDataAnnotation] == "" {
		t.Errorf("self's annotations not read: %+v", me)
	}
	if len(routes) != 1 {
		t.Fatalf("routes %v, want one to b", routes)
	}
	r := routes[0]
	if r.Dst != netip.MustParsePrefix("10.244.1.0/24") || r.Gw != netip.MustParseAddr("10.244.1.0") ||
		r.MAC.String() != "02:00:00:00:00:0b" || r.Remote != netip.MustParseAddr("192.168.1.11") {
		t.Errorf("route %v", r)
	}
	if !strings.Contains(skipped["b"], "IPv4 only") {
		t.Errorf("b's IPv6 podCIDR: skipped %q", skipped["b"])
	}
	for _, name := range []string{"bad-json", "bad-mac", "other-vni", "v6"} {
		if skipped[name] == "" {
			t.Errorf("node %s not skipped", name)
		}
	}
	if r, ok := skipped["unpublished"]; ok {
		t.Errorf("unpublished node skipped with a reason: %s", r)
	}
}

func TestParseMode(t *testing.T) {
	for s, want := range map[string]Mode{"": ModeHostGW, "host-gw": ModeHostGW, "vxlan": ModeVXLAN, "none": ModeNone} {
		if m, err := ParseMode(s); err != nil || m != want {
			t.Errorf("ParseMode(%q) = %q, %v", s, m, err)
		}
	}
	if _, err := ParseMode("udp"); err == nil {
		t.Error("ParseMode(udp): no error")
	}
}
