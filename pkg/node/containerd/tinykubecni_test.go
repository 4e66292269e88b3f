package containerd_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/pkg/node/containerd"
	"github.com/tinykube/tinykube/pkg/node/cri"
)

// TestTinykubeCNIRunsSandboxes: a containerd configured for tinykube-cni
// (CNI "tinykube") gives a sandbox an address from the node's podCIDR on
// the node's bridge, with the allocation on disk; removing the sandbox
// releases it; masquerading is the plugin's (not also the node's chain),
// and its rules go with the last pod.
func TestTinykubeCNIRunsSandboxes(t *testing.T) {
	needContainerd(t)
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Skip("tinykube-cni's ipMasq needs iptables")
	}
	bin := filepath.Join(t.TempDir(), "tinykube")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/tinykube/tinykube/cmd/tinykube").CombinedOutput(); err != nil {
		t.Fatalf("build tinykube: %v: %s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := containerd.DefaultConfig(t.TempDir())
	cfg.CNI = containerd.CNITinykube
	cfg.TinykubeBinary = bin
	cfg.ClusterCIDR = "10.251.0.0/16"
	c, err := containerd.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	client, err := cri.Dial(ctx, c.Endpoint(), 10*time.Second)
	if err != nil {
		c.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := client.RemoveAllPodSandboxes(ctx); err != nil {
			t.Errorf("removing sandboxes: %v", err)
		}
		client.Close(ctx)
		c.Stop()
		if err := c.Paths().DeleteBridge(); err != nil {
			t.Error(err)
		}
	})
	if target, err := os.Readlink(filepath.Join(c.Paths().CNIBinDir, "tinykube-cni")); err != nil || target != bin {
		t.Fatalf("tinykube-cni link -> %q (%v), want %s", target, err, bin)
	}

	const podCIDR = "10.251.7.0/24"
	client.OnRuntimeConfig = func(rc *runtimeapi.RuntimeConfig) error {
		return c.WriteCNIConfig(rc.GetNetworkConfig().GetPodCidr())
	}
	if err := client.UpdateRuntimeConfig(ctx, &runtimeapi.RuntimeConfig{NetworkConfig: &runtimeapi.NetworkConfig{PodCidr: podCIDR}}); err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(filepath.Join(c.Paths().CNIConfDir, "10-tinykube.conflist"))
	if err != nil || !strings.Contains(string(conf), `"type": "tinykube-cni"`) || !strings.Contains(string(conf), `"type": "portmap"`) {
		t.Fatalf("conflist (%v):\n%s", err, conf)
	}

	run := func(uid string) (string, string) {
		t.Helper()
		var id string
		deadline := time.Now().Add(30 * time.Second)
		for {
			// containerd loads the CNI config a moment after it is written.
			id, err = client.RunPodSandbox(ctx, &runtimeapi.PodSandboxConfig{
				Metadata: &runtimeapi.PodSandboxMetadata{Name: "p-" + uid, Namespace: "default", Uid: uid},
				Hostname: "p", LogDirectory: t.TempDir(),
			}, "")
			if err == nil || time.Now().After(deadline) || !strings.Contains(err.Error(), "cni") {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("RunPodSandbox: %v", err)
		}
		st, err := client.PodSandboxStatus(ctx, id, false)
		if err != nil {
			t.Fatal(err)
		}
		ip := st.Status.GetNetwork().GetIp()
		if st.Status.State != runtimeapi.PodSandboxState_SANDBOX_READY || !strings.HasPrefix(ip, "10.251.7.") || ip == "10.251.7.1" {
			t.Fatalf("sandbox %v ip %q", st.Status.State, ip)
		}
		return id, ip
	}
	idA, ipA := run("uid-a")
	idB, ipB := run("uid-b")
	if ipA == ipB {
		t.Fatalf("both sandboxes got %s", ipA)
	}
	// Masquerading is the plugin's chain alone, not also the node's.
	masq := func() (plugin, node bool) {
		for _, l := range natRules(t, c.Paths()) {
			plugin = plugin || strings.HasSuffix(l, "-j TKCNI-"+containerd.BridgeName(c.Paths().Dir))
			node = node || strings.Contains(l, "TINYKUBE-MASQ-")
		}
		return
	}
	if plugin, node := masq(); !plugin || node {
		t.Fatalf("masquerade: tinykube-cni's jump %v, the node's chain %v; want only tinykube-cni's", plugin, node)
	}
	store := filepath.Join(c.Paths().CNIDataDir, "tinykube")
	for _, ip := range []string{ipA, ipB} {
		if _, err := os.Stat(filepath.Join(store, ip)); err != nil {
			t.Errorf("allocation of %s: %v", ip, err)
		}
	}
	br, err := net.InterfaceByName(containerd.BridgeName(c.Paths().Dir))
	if err != nil {
		t.Fatal(err)
	}
	addrs, _ := br.Addrs()
	if len(addrs) == 0 || addrs[0].String() != "10.251.7.1/24" {
		t.Fatalf("bridge addresses %v, want 10.251.7.1/24", addrs)
	}

	if err := client.StopPodSandbox(ctx, idA); err != nil {
		t.Fatal(err)
	}
	if err := client.RemovePodSandbox(ctx, idA); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(store, ipA)); !os.IsNotExist(err) {
		t.Fatalf("allocation of %s not released: %v", ipA, err)
	}
	if plugin, _ := masq(); !plugin {
		t.Fatal("masquerade rules gone while a pod is left")
	}
	// The last pod takes the rules with it.
	if err := client.StopPodSandbox(ctx, idB); err != nil {
		t.Fatal(err)
	}
	if got := natRules(t, c.Paths()); len(got) != 0 {
		t.Fatalf("nat rules left after the last pod:\n%s", strings.Join(got, "\n"))
	}
}
