package containerd_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tinykube/tinykube/pkg/node/containerd"
)

// natRules is the nat table's rules that mention the node of paths (its
// chain or its POSTROUTING jumps).
func natRules(t *testing.T, paths containerd.Paths) []string {
	t.Helper()
	out, err := exec.Command("iptables", "-w", "-t", "nat", "-S").CombinedOutput()
	if err != nil {
		t.Fatalf("iptables -S: %s: %v", out, err)
	}
	tag := strings.TrimPrefix(containerd.BridgeName(paths.Dir), "tk")
	var mine []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, tag) {
			mine = append(mine, l)
		}
	}
	return mine
}

// TestCNIConfigMasqueradesPerNode: the node's conflist leaves
// masquerading to one chain of the node's (not a chain per pod in the
// bridge plugin), written with the podCIDR, rewritten when it changes,
// unchanged when written again, and removed with the bridge.
func TestCNIConfigMasqueradesPerNode(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("iptables needs root")
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Skip("iptables not installed")
	}
	paths, err := containerd.PathsFor(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(paths.CNIConfDir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := paths.DeleteBridge(); err != nil {
			t.Error(err)
		}
	})
	chain := "TINYKUBE-MASQ-" + strings.TrimPrefix(containerd.BridgeName(paths.Dir), "tk")
	jump := func(cidr string) string {
		return "-A POSTROUTING -s " + cidr + " -m comment --comment tinykube-" + containerd.BridgeName(paths.Dir) + " -j " + chain
	}
	rulesFor := func(cidr string) []string {
		return []string{"-N " + chain, "-A " + chain + " -d " + cidr + " -j RETURN", "-A " + chain + " -d 224.0.0.0/4 -j RETURN",
			"-A " + chain + " -j MASQUERADE", jump(cidr)}
	}
	check := func(want []string) {
		t.Helper()
		got := natRules(t, paths)
		slices.Sort(got)
		want = slices.Sorted(slices.Values(want))
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("nat rules of the node:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}

	if err := paths.WriteCNIConfig("10.250.9.0/24"); err != nil {
		t.Fatal(err)
	}
	check(rulesFor("10.250.9.0/24"))
	b, err := os.ReadFile(filepath.Join(paths.CNIConfDir, "10-tinykube.conflist"))
	if err != nil {
		t.Fatal(err)
	}
	var conf struct {
		Plugins []map[string]any `json:"plugins"`
	}
	if err := json.Unmarshal(b, &conf); err != nil {
		t.Fatal(err)
	}
	if conf.Plugins[0]["type"] != "bridge" || conf.Plugins[0]["ipMasq"] != false {
		t.Fatalf("bridge plugin config %v: want ipMasq false", conf.Plugins[0])
	}

	// Again (a restarted node): nothing doubles.
	if err := paths.WriteCNIConfig("10.250.9.0/24"); err != nil {
		t.Fatal(err)
	}
	check(rulesFor("10.250.9.0/24"))

	// A new podCIDR replaces the old one's rules.
	if err := paths.WriteCNIConfig("10.250.10.0/24"); err != nil {
		t.Fatal(err)
	}
	check(rulesFor("10.250.10.0/24"))

	if err := paths.DeleteBridge(); err != nil {
		t.Fatal(err)
	}
	check(nil)
}

// TestCNIConfigResetsStaleBridge: the node's bridge holding the gateway
// of an earlier podCIDR (the Node got a new one) is deleted when the
// conflist is written, so that the bridge plugin can make it afresh;
// not while a pod still uses it, and not when its address is current.
func TestCNIConfigResetsStaleBridge(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("bridges and iptables need root")
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Skip("iptables not installed")
	}
	paths, err := containerd.PathsFor(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(paths.CNIConfDir, 0o700); err != nil {
		t.Fatal(err)
	}
	br := containerd.BridgeName(paths.Dir)
	port := "tkp" + strings.TrimPrefix(br, "tk")
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %s: %v", args, out, err)
		}
	}
	exists := func() bool {
		_, err := os.Stat("/sys/class/net/" + br)
		return err == nil
	}
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "del", port).Run()
		if err := paths.DeleteBridge(); err != nil {
			t.Error(err)
		}
	})
	ip("link", "add", br, "type", "bridge")
	ip("addr", "add", "10.250.13.1/24", "dev", br)

	// The address is current: the bridge stays.
	if err := paths.WriteCNIConfig("10.250.13.0/24"); err != nil {
		t.Fatal(err)
	}
	if !exists() {
		t.Fatal("bridge with the current gateway was deleted")
	}
	// Stale, but a pod (here one end of a veth pair) is still on it: it
	// stays.
	ip("link", "add", port, "type", "veth", "peer", "name", "tkq"+strings.TrimPrefix(br, "tk"))
	ip("link", "set", port, "master", br)
	if err := paths.WriteCNIConfig("10.250.14.0/24"); err != nil {
		t.Fatal(err)
	}
	if !exists() {
		t.Fatal("bridge with a pod on it was deleted")
	}
	// Stale and unused: deleted.
	ip("link", "del", port)
	if err := paths.WriteCNIConfig("10.250.14.0/24"); err != nil {
		t.Fatal(err)
	}
	if exists() {
		t.Fatal("bridge with an earlier podCIDR's gateway was not deleted")
	}
}

// TestCNIConfigSwitchesMasquerade: masquerading is either the node's
// chain (reference plugins) or tinykube-cni's, never both: writing the
// tinykube-cni conflist removes the node's chain, and writing the
// reference one removes tinykube-cni's rules (here made as the plugin
// makes them at its first ADD). The tinykube-cni conflist is checked
// with the plugin's parser: IPv4 only, podCIDR inside clusterCIDR.
func TestCNIConfigSwitchesMasquerade(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("iptables needs root")
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Skip("iptables not installed")
	}
	paths, err := containerd.PathsFor(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(paths.CNIConfDir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := paths.DeleteBridge(); err != nil {
			t.Error(err)
		}
	})
	br := containerd.BridgeName(paths.Dir)
	nodeChain := "TINYKUBE-MASQ-" + strings.TrimPrefix(br, "tk")
	pluginChain := "TKCNI-" + br
	chains := func() (node, plugin bool) {
		for _, l := range natRules(t, paths) {
			node = node || strings.HasSuffix(l, "-j "+nodeChain)
			plugin = plugin || strings.HasSuffix(l, "-j "+pluginChain)
		}
		return
	}
	const podCIDR = "10.250.15.0/24"

	if err := paths.WriteCNIConfig(podCIDR); err != nil {
		t.Fatal(err)
	}
	if node, plugin := chains(); !node || plugin {
		t.Fatalf("reference conflist: node chain %v, tinykube-cni's %v; want only the node's", node, plugin)
	}
	if err := paths.WriteTinykubeCNIConfig("fd00:1::/64,"+podCIDR, "10.250.0.0/16"); err != nil {
		t.Fatal(err)
	}
	if got := natRules(t, paths); len(got) != 0 {
		t.Fatalf("tinykube-cni conflist left the node's rules:\n%s", strings.Join(got, "\n"))
	}
	b, err := os.ReadFile(filepath.Join(paths.CNIConfDir, "10-tinykube.conflist"))
	if err != nil {
		t.Fatal(err)
	}
	var conf struct {
		Plugins []map[string]any `json:"plugins"`
	}
	if err := json.Unmarshal(b, &conf); err != nil {
		t.Fatal(err)
	}
	if p := conf.Plugins[0]; p["type"] != "tinykube-cni" || p["bridge"] != br || p["podCIDR"] != podCIDR ||
		p["clusterCIDR"] != "10.250.0.0/16" || p["ipMasq"] != true || p["dataDir"] != paths.CNIDataDir {
		t.Fatalf("tinykube-cni config %v", p)
	}
	if len(conf.Plugins) != 2 || conf.Plugins[1]["type"] != "portmap" {
		t.Fatalf("plugins %v: want tinykube-cni, portmap", conf.Plugins)
	}

	// The plugin's rules, as its first ADD writes them.
	ipt := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("iptables", append([]string{"-w", "-t", "nat"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("iptables %v: %s: %v", args, out, err)
		}
	}
	ipt("-N", pluginChain)
	ipt("-A", pluginChain, "-d", "10.250.0.0/16", "-m", "comment", "--comment", "tinykube-cni "+br, "-j", "RETURN")
	ipt("-A", "POSTROUTING", "-s", podCIDR, "-m", "comment", "--comment", "tinykube-cni "+br, "-j", pluginChain)
	if err := paths.WriteCNIConfig(podCIDR); err != nil {
		t.Fatal(err)
	}
	if node, plugin := chains(); !node || plugin {
		t.Fatalf("reference conflist after tinykube-cni: node chain %v, tinykube-cni's %v; want only the node's", node, plugin)
	}
	for _, bad := range [][2]string{{"fd00:1::/64", ""}, {podCIDR, "10.251.0.0/16"}, {"10.250.15.0/30", ""}} {
		if err := paths.WriteTinykubeCNIConfig(bad[0], bad[1]); err == nil {
			t.Errorf("WriteTinykubeCNIConfig(%q, %q): no error", bad[0], bad[1])
		}
	}
}
