package cni_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
)

// TestLibcniRoundTrips drives the plugin the way container runtimes do,
// through libcni and a 1.1.0 conflist: ADD, CHECK, STATUS, a repeated ADD,
// GC of an attachment the runtime no longer knows, and DEL twice.
func TestLibcniRoundTrips(t *testing.T) {
	needRoot(t)
	n := newNetwork(t, 24)
	plugin := map[string]any{}
	for k, v := range n.conf {
		if k != "cniVersion" && k != "name" {
			plugin[k] = v
		}
	}
	listBytes, _ := json.Marshal(map[string]any{
		"cniVersion": "1.1.0",
		"name":       n.conf["name"],
		"plugins":    []any{plugin},
	})
	list, err := libcni.NetworkConfFromBytes(listBytes)
	if err != nil {
		t.Fatal(err)
	}
	cfg := libcni.NewCNIConfigWithCacheDir([]string{filepath.Dir(pluginPath)}, t.TempDir(), nil)
	ctx := context.Background()

	if err := cfg.GetStatusNetworkList(ctx, list); err != nil {
		t.Fatalf("STATUS: %v", err)
	}
	netnsA, netnsB := newNS(t), newNS(t)
	rtA := &libcni.RuntimeConf{ContainerID: "ctr-a", NetNS: netnsA.Path(), IfName: "eth0"}
	rtB := &libcni.RuntimeConf{ContainerID: "ctr-b", NetNS: netnsB.Path(), IfName: "eth0"}
	t.Cleanup(func() {
		cfg.DelNetworkList(ctx, list, rtA)
		cfg.DelNetworkList(ctx, list, rtB)
	})

	resA := addList(t, cfg, list, rtA)
	resB := addList(t, cfg, list, rtB)
	ipA, ipB := resA.IPs[0].Address.IP, resB.IPs[0].Address.IP
	if ipA.Equal(ipB) {
		t.Fatalf("both pods got %s", ipA)
	}
	if resA.CNIVersion != "1.1.0" {
		t.Errorf("result version %q, want the conflist's 1.1.0", resA.CNIVersion)
	}
	for _, rt := range []*libcni.RuntimeConf{rtA, rtB} {
		if err := cfg.CheckNetworkList(ctx, list, rt); err != nil {
			t.Fatalf("CHECK %s: %v", rt.ContainerID, err)
		}
	}
	if again := addList(t, cfg, list, rtA); !again.IPs[0].Address.IP.Equal(ipA) {
		t.Fatalf("repeated ADD gave %s, want %s", again.IPs[0].Address.IP, ipA)
	}

	// GC with only B valid: A's address and host veth go, B keeps its own.
	if err := cfg.GCNetworkList(ctx, list, &libcni.GCArgs{ValidAttachments: []types.GCAttachment{{ContainerID: "ctr-b", IfName: "eth0"}}}); err != nil {
		t.Fatalf("GC: %v", err)
	}
	store := filepath.Join(n.conf["dataDir"].(string), n.conf["name"].(string))
	if _, err := os.Stat(filepath.Join(store, ipA.String())); !os.IsNotExist(err) {
		t.Errorf("GC left A's allocation (%v)", err)
	}
	if linkExists(resA.Interfaces[1].Name) {
		t.Errorf("GC left A's host veth %s", resA.Interfaces[1].Name)
	}
	if err := cfg.CheckNetworkList(ctx, list, rtB); err != nil {
		t.Fatalf("CHECK B after GC: %v", err)
	}

	for i := 0; i < 2; i++ {
		for _, rt := range []*libcni.RuntimeConf{rtA, rtB} {
			if err := cfg.DelNetworkList(ctx, list, rt); err != nil {
				t.Fatalf("DEL %s (round %d): %v", rt.ContainerID, i, err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(store, ipB.String())); !os.IsNotExist(err) {
		t.Errorf("DEL left B's allocation (%v)", err)
	}
	if rules := masqRules(t, n.conf["bridge"].(string)); rules != "" {
		t.Errorf("rules left after every DEL:\n%s", rules)
	}
}

func addList(t *testing.T, cfg *libcni.CNIConfig, list *libcni.NetworkConfigList, rt *libcni.RuntimeConf) *current.Result {
	t.Helper()
	r, err := cfg.AddNetworkList(context.Background(), list, rt)
	if err != nil {
		t.Fatalf("ADD %s: %v", rt.ContainerID, err)
	}
	res, err := current.NewResultFromResult(r)
	if err != nil {
		t.Fatalf("ADD %s: %v", rt.ContainerID, err)
	}
	if len(res.IPs) != 1 {
		t.Fatalf("ADD %s: ips %v", rt.ContainerID, res.IPs)
	}
	return res
}
