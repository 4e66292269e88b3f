package containerd

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// CNI: until tinykube has its own network plugin, pods get their network
// from Debian's reference plugins. Each node has its own bridge (named
// from its data dir, so two nodes on one machine never share one) with
// the node's podCIDR; host-local hands out the IPs and keeps its
// allocations under the node's data dir.

// cniConfName is the conflist containerd loads (max_conf_num = 1).
const cniConfName = "10-tinykube.conflist"

// BridgeName is the bridge of the node whose containerd lives in dir:
// "tk" plus 8 hex digits, within the 15-byte interface name limit.
func BridgeName(dir string) string {
	abs, _ := filepath.Abs(dir)
	sum := sha256.Sum256([]byte(abs))
	return "tk" + hex.EncodeToString(sum[:4])
}

// WriteCNIConfig writes the node's conflist for its podCIDRs
// (comma-separated, as CRI's RuntimeConfig carries them). containerd
// picks the file up by itself (it watches the directory).
func (p Paths) WriteCNIConfig(podCIDRs string) error {
	var ranges [][]map[string]string
	var prefixes []netip.Prefix
	for _, s := range strings.Split(podCIDRs, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("CNI config: pod CIDR %q: %w", s, err)
		}
		ranges = append(ranges, []map[string]string{{"subnet": prefix.Masked().String()}})
		prefixes = append(prefixes, prefix.Masked())
	}
	if len(ranges) == 0 {
		return fmt.Errorf("CNI config: no pod CIDR")
	}
	// Masquerading is the node's (masq.go), not the plugin's per pod.
	if err := p.ensureMasquerade(prefixes); err != nil {
		return fmt.Errorf("CNI config: %w", err)
	}
	if err := p.resetStaleBridge(prefixes); err != nil {
		return fmt.Errorf("CNI config: %w", err)
	}
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "tinykube",
		"plugins": []any{
			map[string]any{
				"type": "bridge", "bridge": BridgeName(p.Dir),
				"isGateway": true, "ipMasq": false, "hairpinMode": true,
				"ipam": map[string]any{"type": "host-local", "ranges": ranges, "dataDir": p.CNIDataDir},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
			map[string]any{"type": "loopback"},
		},
	}
	b, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return err
	}
	final := filepath.Join(p.CNIConfDir, cniConfName)
	if old, err := os.ReadFile(final); err == nil && bytes.Equal(old, b) {
		return nil
	}
	// Write then rename: containerd must never load half a file.
	tmp := final + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}

// resetStaleBridge deletes the node's bridge when it has no pods and
// holds an address outside prefixes: the gateway of an earlier podCIDR
// (the Node was registered again and got another one). The bridge
// plugin refuses a bridge whose address differs from its gateway, so no
// sandbox could start until it is gone; it makes a fresh one. A bridge
// that still has pods on it is left to them.
func (p Paths) resetStaleBridge(prefixes []netip.Prefix) error {
	name := BridgeName(p.Dir)
	ports, err := os.ReadDir(filepath.Join("/sys/class/net", name, "brif"))
	if err != nil || len(ports) > 0 {
		return nil // no bridge yet, or pods still use it
	}
	out, err := exec.Command("ip", "-j", "addr", "show", "dev", name).Output()
	if err != nil {
		return nil // gone meanwhile
	}
	var links []struct {
		AddrInfo []struct {
			Local string `json:"local"`
			Scope string `json:"scope"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal(out, &links); err != nil {
		return fmt.Errorf("reading the addresses of bridge %s: %w", name, err)
	}
	for _, l := range links {
		for _, a := range l.AddrInfo {
			ip, err := netip.ParseAddr(a.Local)
			if err != nil || a.Scope == "link" {
				continue
			}
			if !slices.ContainsFunc(prefixes, func(pr netip.Prefix) bool { return pr.Contains(ip) }) {
				return p.deleteBridgeLink()
			}
		}
	}
	return nil
}

// DeleteBridge removes the node's bridge, if any (pods' veths go with
// their sandboxes; the bridge outlives them), and its masquerade rules.
// For cleanup after the node's pods are gone.
func (p Paths) DeleteBridge() error {
	if err := p.DeleteMasquerade(); err != nil {
		return err
	}
	return p.deleteBridgeLink()
}

// deleteBridgeLink deletes the node's bridge interface, if any.
func (p Paths) deleteBridgeLink() error {
	name := BridgeName(p.Dir)
	if _, err := os.Stat("/sys/class/net/" + name); err != nil {
		return nil
	}
	out, err := exec.Command("ip", "link", "delete", name).CombinedOutput()
	if err != nil {
		return fmt.Errorf("deleting bridge %s: %s: %w", name, bytes.TrimSpace(out), err)
	}
	return nil
}
