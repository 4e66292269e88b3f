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
