package cni_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/containernetworking/plugins/pkg/testutils"
	"github.com/vishvananda/netlink"

	"github.com/tinykube/tinykube/pkg/network/cni"
)

// pluginPath is the tinykube binary built by TestMain under the name
// tinykube-cni, so the tests run the plugin exactly as a runtime does.
var pluginPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tkcni")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pluginPath = filepath.Join(dir, cni.PluginType)
	build := exec.Command("go", "build", "-o", pluginPath, "github.com/tinykube/tinykube/cmd/tinykube")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build tinykube-cni:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces, bridges, veths and iptables rules")
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Skip("needs iptables for ipMasq")
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// network is one test network: a unique bridge (<= 15 chars) and a random
// private 10.244.x.0/<prefix> pod range; everything it leaves is removed in
// t.Cleanup.
type network struct {
	t    *testing.T
	conf map[string]any
}

func newNetwork(t *testing.T, prefix int) *network {
	t.Helper()
	x, _ := rand.Int(rand.Reader, big.NewInt(200))
	conf := map[string]any{
		"cniVersion":  "1.0.0",
		"name":        "tkt" + randHex(3),
		"type":        cni.PluginType,
		"bridge":      "tkt" + randHex(4),
		"podCIDR":     fmt.Sprintf("10.244.%d.0/%d", 30+x.Int64(), prefix),
		"clusterCIDR": "10.244.0.0/16",
		"mtu":         1500,
		"hairpinMode": true,
		"ipMasq":      true,
		"dataDir":     t.TempDir(),
		"dns":         map[string]any{"nameservers": []string{"10.96.0.10"}, "search": []string{"default.svc.cluster.local"}},
	}
	n := &network{t: t, conf: conf}
	t.Cleanup(func() {
		c, err := cni.ParseConfig(n.json())
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		if err := cni.Cleanup(c); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return n
}

func (n *network) json() []byte {
	b, err := json.Marshal(n.conf)
	if err != nil {
		n.t.Fatal(err)
	}
	return b
}

// newNS makes a network namespace that t.Cleanup removes.
func newNS(t *testing.T) ns.NetNS {
	t.Helper()
	netns, err := testutils.NewNS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		netns.Close()
		if err := testutils.UnmountNS(netns); err != nil {
			t.Errorf("unmount netns: %v", err)
		}
	})
	return netns
}

// runPlugin execs tinykube-cni with CNI_* env and config on stdin; it
// returns stdout and the exit error.
func runPlugin(t *testing.T, command, containerID, netnsPath, ifName string, config []byte, extraEnv ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pluginPath)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"CNI_COMMAND=" + command,
		"CNI_CONTAINERID=" + containerID,
		"CNI_NETNS=" + netnsPath,
		"CNI_IFNAME=" + ifName,
		"CNI_PATH=" + filepath.Dir(pluginPath),
	}, extraEnv...)
	cmd.Stdin = bytes.NewReader(config)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil && stderr.Len() > 0 {
		t.Logf("%s stderr: %s", command, stderr.String())
	}
	return stdout.Bytes(), err
}

func add(t *testing.T, n *network, containerID string, netns ns.NetNS) *current.Result {
	t.Helper()
	out, err := runPlugin(t, "ADD", containerID, netns.Path(), "eth0", n.json())
	if err != nil {
		t.Fatalf("ADD %s: %v: %s", containerID, err, out)
	}
	res, err := current.NewResult(out)
	if err != nil {
		t.Fatalf("ADD %s result %s: %v", containerID, out, err)
	}
	return res.(*current.Result)
}

func mustDel(t *testing.T, n *network, containerID, netnsPath string) {
	t.Helper()
	if out, err := runPlugin(t, "DEL", containerID, netnsPath, "eth0", n.json()); err != nil || len(out) != 0 {
		t.Fatalf("DEL %s: %v: %s", containerID, err, out)
	}
}

// cniError decodes the error JSON a failed call printed.
func cniError(t *testing.T, out []byte, err error) *types.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("call succeeded (%s), want a CNI error", out)
	}
	if _, ok := err.(*exec.ExitError); !ok {
		t.Fatalf("plugin did not exit with an error status: %v", err)
	}
	var e types.Error
	if jerr := json.Unmarshal(out, &e); jerr != nil || e.Msg == "" {
		t.Fatalf("stdout %q is not a CNI error: %v", out, jerr)
	}
	return &e
}

func linkExists(name string) bool {
	_, err := netlink.LinkByName(name)
	return err == nil
}

func masqRules(t *testing.T, bridge string) string {
	t.Helper()
	out, err := exec.Command("iptables", "-w", "5", "-t", "nat", "-S").CombinedOutput()
	if err != nil {
		t.Fatalf("iptables -S: %v: %s", err, out)
	}
	var rules []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "tinykube-cni "+bridge+"\"") {
			rules = append(rules, l)
		}
	}
	return strings.Join(rules, "\n")
}

func TestAddCheckDel(t *testing.T) {
	needRoot(t)
	n := newNetwork(t, 24)
	netns := newNS(t)
	bridge := n.conf["bridge"].(string)
	_, podNet, _ := net.ParseCIDR(n.conf["podCIDR"].(string))
	gw := podNet.IP.To4()
	gw = net.IPv4(gw[0], gw[1], gw[2], gw[3]+1).To4()

	res := add(t, n, "ctr-a", netns)

	// Result shape: bridge, host veth, container eth0 in the sandbox; one
	// IP on interface 2, default route via the gateway, the config's DNS.
	if len(res.Interfaces) != 3 || res.Interfaces[0].Name != bridge || res.Interfaces[2].Name != "eth0" || res.Interfaces[2].Sandbox != netns.Path() || res.Interfaces[1].Sandbox != "" {
		t.Fatalf("interfaces: %+v", res.Interfaces)
	}
	for _, i := range res.Interfaces {
		if _, err := net.ParseMAC(i.Mac); err != nil {
			t.Errorf("interface %s mac %q: %v", i.Name, i.Mac, err)
		}
	}
	if len(res.IPs) != 1 || res.IPs[0].Interface == nil || *res.IPs[0].Interface != 2 {
		t.Fatalf("ips: %+v", res.IPs)
	}
	addr := res.IPs[0].Address
	if !podNet.Contains(addr.IP) || addr.IP.Equal(gw) || addr.String() == podNet.String() || !res.IPs[0].Gateway.Equal(gw) {
		t.Fatalf("address %s gateway %s in %s", addr.String(), res.IPs[0].Gateway, podNet)
	}
	if len(res.Routes) != 1 || res.Routes[0].Dst.String() != "0.0.0.0/0" || !res.Routes[0].GW.Equal(gw) {
		t.Fatalf("routes: %+v", res.Routes)
	}
	if len(res.DNS.Nameservers) != 1 || res.DNS.Nameservers[0] != "10.96.0.10" {
		t.Fatalf("dns: %+v", res.DNS)
	}

	// The host side: bridge with the gateway, veth on it with hairpin.
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		t.Fatal(err)
	}
	addrs, _ := netlink.AddrList(br, netlink.FAMILY_V4)
	if len(addrs) != 1 || !addrs[0].IP.Equal(gw) {
		t.Fatalf("bridge addresses %v, want %s", addrs, gw)
	}
	hostVeth, err := netlink.LinkByName(res.Interfaces[1].Name)
	if err != nil {
		t.Fatal(err)
	}
	if hostVeth.Attrs().MasterIndex != br.Attrs().Index {
		t.Fatalf("host veth %s not on bridge %s", hostVeth.Attrs().Name, bridge)
	}
	if pi, err := netlink.LinkGetProtinfo(hostVeth); err != nil || !pi.Hairpin {
		t.Fatalf("host veth %s hairpin: %+v, %v", hostVeth.Attrs().Name, pi, err)
	}
	if b, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward"); strings.TrimSpace(string(b)) != "1" {
		t.Errorf("ip_forward = %q", b)
	}
	if rules := masqRules(t, bridge); !strings.Contains(rules, "MASQUERADE") || !strings.Contains(rules, "-d 10.244.0.0/16") {
		t.Fatalf("masquerade rules:\n%s", rules)
	}

	// Inside the netns: eth0 with the address, lo up, default route.
	err = netns.Do(func(ns.NetNS) error {
		eth0, err := netlink.LinkByName("eth0")
		if err != nil {
			return err
		}
		addrs, err := netlink.AddrList(eth0, netlink.FAMILY_V4)
		if err != nil || len(addrs) != 1 || addrs[0].IPNet.String() != addr.String() {
			return fmt.Errorf("eth0 addresses %v (%v), want %s", addrs, err, addr.String())
		}
		lo, err := netlink.LinkByName("lo")
		if err != nil || lo.Attrs().Flags&net.FlagUp == 0 {
			return fmt.Errorf("lo not up (%v)", err)
		}
		routes, err := netlink.RouteList(eth0, netlink.FAMILY_V4)
		if err != nil {
			return err
		}
		for _, r := range routes {
			if (r.Dst == nil || r.Dst.String() == "0.0.0.0/0") && r.Gw.Equal(gw) {
				return nil
			}
		}
		return fmt.Errorf("no default route via %s: %v", gw, routes)
	})
	if err != nil {
		t.Fatal(err)
	}

	// CHECK with the ADD result as prevResult passes.
	check := func() ([]byte, error) {
		conf := map[string]any{}
		for k, v := range n.conf {
			conf[k] = v
		}
		var prev map[string]any
		b, _ := json.Marshal(res)
		json.Unmarshal(b, &prev)
		conf["prevResult"] = prev
		cb, _ := json.Marshal(conf)
		return runPlugin(t, "CHECK", "ctr-a", netns.Path(), "eth0", cb)
	}
	if out, err := check(); err != nil {
		t.Fatalf("CHECK: %v: %s", err, out)
	}

	// A repeated ADD keeps the address.
	if again := add(t, n, "ctr-a", netns); !again.IPs[0].Address.IP.Equal(addr.IP) {
		t.Fatalf("repeated ADD gave %s, first gave %s", again.IPs[0].Address.IP, addr.IP)
	}

	// DEL removes the pod's links, its allocation and (last pod) the rules.
	mustDel(t, n, "ctr-a", netns.Path())
	if linkExists(res.Interfaces[1].Name) {
		t.Errorf("host veth %s still there", res.Interfaces[1].Name)
	}
	if _, err := os.Stat(filepath.Join(n.conf["dataDir"].(string), n.conf["name"].(string), addr.IP.String())); !os.IsNotExist(err) {
		t.Errorf("allocation file still there: %v", err)
	}
	if rules := masqRules(t, bridge); rules != "" {
		t.Errorf("masquerade rules left after the last DEL:\n%s", rules)
	}
	// CHECK now fails with an error, DEL again is fine, and so is DEL
	// with a netns that is gone and with no netns at all.
	if out, err := check(); err == nil {
		t.Fatalf("CHECK after DEL succeeded: %s", out)
	} else {
		cniError(t, out, err)
	}
	mustDel(t, n, "ctr-a", netns.Path())
	mustDel(t, n, "ctr-a", "/var/run/netns/tinykube-no-such-netns")
	mustDel(t, n, "ctr-a", "")
}

func TestTwoPodsTalkOverTheBridge(t *testing.T) {
	needRoot(t)
	n := newNetwork(t, 24)
	nsA, nsB := newNS(t), newNS(t)
	ipA := add(t, n, "ctr-a", nsA).IPs[0].Address.IP
	ipB := add(t, n, "ctr-b", nsB).IPs[0].Address.IP
	t.Cleanup(func() {
		mustDel(t, n, "ctr-a", nsA.Path())
		mustDel(t, n, "ctr-b", nsB.Path())
	})

	// A listens on its pod address; B dials it and they exchange a line.
	var ln net.Listener
	if err := nsA.Do(func(ns.NetNS) error {
		var err error
		ln, err = net.Listen("tcp4", net.JoinHostPort(ipA.String(), "0"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		fmt.Fprintf(c, "hello %s\n", c.RemoteAddr().(*net.TCPAddr).IP)
	}()
	var got string
	if err := nsB.Do(func(ns.NetNS) error {
		c, err := net.DialTimeout("tcp4", ln.Addr().String(), 30*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		b, err := io.ReadAll(c)
		got = string(b)
		return err
	}); err != nil {
		t.Fatalf("dial %s from pod B: %v", ln.Addr(), err)
	}
	if want := "hello " + ipB.String() + "\n"; got != want {
		t.Fatalf("got %q, want %q (pod-to-pod keeps its source address)", got, want)
	}
}

func TestConcurrentAddsGetDistinctIPs(t *testing.T) {
	needRoot(t)
	n := newNetwork(t, 24)
	const pods = 20
	nss := make([]ns.NetNS, pods)
	for i := range nss {
		nss[i] = newNS(t)
	}
	ips := make([]string, pods)
	errs := make([]error, pods)
	var wg sync.WaitGroup
	for i := 0; i < pods; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := runPlugin(t, "ADD", fmt.Sprintf("ctr-%d", i), nss[i].Path(), "eth0", n.json())
			if err != nil {
				errs[i] = fmt.Errorf("ADD %d: %v: %s", i, err, out)
				return
			}
			r, err := current.NewResult(out)
			if err != nil {
				errs[i] = err
				return
			}
			ips[i] = r.(*current.Result).IPs[0].Address.IP.String()
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for i := 0; i < pods; i++ {
			mustDel(t, n, fmt.Sprintf("ctr-%d", i), nss[i].Path())
		}
		if rules := masqRules(t, n.conf["bridge"].(string)); rules != "" {
			t.Errorf("rules left after every DEL:\n%s", rules)
		}
	})
	seen := map[string]int{}
	for i, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
		if j, dup := seen[ips[i]]; dup {
			t.Fatalf("pods %d and %d both got %s", j, i, ips[i])
		}
		seen[ips[i]] = i
	}
	if rules := masqRules(t, n.conf["bridge"].(string)); strings.Count(rules, "-A POSTROUTING") != 1 {
		t.Fatalf("want one POSTROUTING jump for the bridge, got:\n%s", rules)
	}
}

func TestRangeExhaustionIsACleanError(t *testing.T) {
	needRoot(t)
	n := newNetwork(t, 29) // 5 usable addresses: .2 to .6
	for i := 0; i < 5; i++ {
		netns := newNS(t)
		add(t, n, fmt.Sprintf("ctr-%d", i), netns)
		t.Cleanup(func() { mustDel(t, n, fmt.Sprintf("ctr-%d", i), netns.Path()) })
	}
	netns := newNS(t)
	out, err := runPlugin(t, "ADD", "ctr-full", netns.Path(), "eth0", n.json())
	if e := cniError(t, out, err); e.Code != cni.ErrRangeExhausted {
		t.Fatalf("error %+v, want code %d", e, cni.ErrRangeExhausted)
	}
	// Nothing of the failed ADD is left in the netns.
	if err := netns.Do(func(ns.NetNS) error {
		if _, err := netlink.LinkByName("eth0"); err == nil {
			return fmt.Errorf("eth0 exists after a failed ADD")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestVersionAndStatus(t *testing.T) {
	out, err := runPlugin(t, "VERSION", "", "", "", []byte(`{"cniVersion":"1.1.0"}`))
	if err != nil {
		t.Fatalf("VERSION: %v: %s", err, out)
	}
	var v struct {
		CNIVersion        string   `json:"cniVersion"`
		SupportedVersions []string `json:"supportedVersions"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("VERSION output %s: %v", out, err)
	}
	if got := strings.Join(v.SupportedVersions, ","); !strings.Contains(got, "1.0.0") || !strings.Contains(got, "1.1.0") || !strings.Contains(got, "0.4.0") {
		t.Fatalf("supported versions %v", v.SupportedVersions)
	}

	// STATUS (1.1) on a usable dataDir succeeds and prints nothing.
	conf := fmt.Sprintf(`{"cniVersion":"1.1.0","name":"st","type":"tinykube-cni","podCIDR":"10.244.7.0/24","dataDir":%q}`, t.TempDir())
	if out, err := runPlugin(t, "STATUS", "", "", "", []byte(conf)); err != nil || len(out) != 0 {
		t.Fatalf("STATUS: %v: %s", err, out)
	}
	if os.Geteuid() == 0 {
		return // root can write anywhere; the unavailable case needs a non-root user
	}
	conf = `{"cniVersion":"1.1.0","name":"st","type":"tinykube-cni","podCIDR":"10.244.7.0/24","dataDir":"/proc/tinykube"}`
	out, err = runPlugin(t, "STATUS", "", "", "", []byte(conf))
	if e := cniError(t, out, err); e.Code != cni.ErrPluginNotAvailable {
		t.Fatalf("STATUS error %+v, want %d", e, cni.ErrPluginNotAvailable)
	}
}

func TestBadInputGivesCNIErrors(t *testing.T) {
	dir := t.TempDir()
	good := fmt.Sprintf(`{"cniVersion":"1.0.0","name":"bad","type":"tinykube-cni","podCIDR":"10.244.8.0/24","dataDir":%q}`, dir)
	cases := []struct {
		name     string
		config   string
		command  string
		netns    string
		wantCode uint
	}{
		{"malformed json", `{"cniVersion":"1.0.0","name":`, "ADD", "/proc/self/ns/net", types.ErrDecodingFailure},
		{"malformed json on DEL", `not json`, "DEL", "", types.ErrDecodingFailure},
		{"missing podCIDR", `{"cniVersion":"1.0.0","name":"bad","type":"tinykube-cni"}`, "ADD", "/proc/self/ns/net", types.ErrInvalidNetworkConfig},
		{"podCIDR not a CIDR", `{"cniVersion":"1.0.0","name":"bad","type":"tinykube-cni","podCIDR":"nope"}`, "DEL", "", types.ErrInvalidNetworkConfig},
		{"unsupported version", `{"cniVersion":"9.9.9","name":"bad","type":"tinykube-cni","podCIDR":"10.244.8.0/24"}`, "ADD", "/proc/self/ns/net", types.ErrIncompatibleCNIVersion},
		{"netns not a path", good, "ADD", filepath.Join(dir, "missing"), types.ErrInvalidNetNS},
		{"unknown command", good, "FROB", "", types.ErrInvalidEnvironmentVariables},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runPlugin(t, tc.command, "ctr-bad", tc.netns, "eth0", []byte(tc.config))
			if e := cniError(t, out, err); e.Code != tc.wantCode {
				t.Fatalf("error %+v, want code %d", e, tc.wantCode)
			}
		})
	}
	// Missing CNI_CONTAINERID: an environment error.
	cmd := exec.Command(pluginPath)
	cmd.Env = []string{"CNI_COMMAND=ADD", "CNI_NETNS=/proc/self/ns/net", "CNI_IFNAME=eth0", "CNI_PATH=/"}
	cmd.Stdin = strings.NewReader(good)
	out, err := cmd.Output()
	if e := cniError(t, out, err); e.Code != types.ErrInvalidEnvironmentVariables {
		t.Fatalf("missing env: %+v, want code %d", e, types.ErrInvalidEnvironmentVariables)
	}
}

// TestRemoveBridgeClearsLeftovers: a node cleaning up after pods that were
// never deleted removes the bridge and its rules from the name alone, and
// a late DEL still succeeds.
func TestRemoveBridgeClearsLeftovers(t *testing.T) {
	needRoot(t)
	n := newNetwork(t, 24)
	netns := newNS(t)
	bridge := n.conf["bridge"].(string)
	add(t, n, "ctr-left", netns)
	if masqRules(t, bridge) == "" {
		t.Fatal("no masquerade rules after ADD")
	}
	if err := cni.RemoveBridge(bridge); err != nil {
		t.Fatal(err)
	}
	if rules := masqRules(t, bridge); rules != "" {
		t.Fatalf("rules left:\n%s", rules)
	}
	if linkExists(bridge) {
		t.Fatalf("bridge %s left", bridge)
	}
	if err := cni.RemoveBridge(bridge); err != nil {
		t.Fatalf("second RemoveBridge: %v", err)
	}
	mustDel(t, n, "ctr-left", netns.Path())
}
