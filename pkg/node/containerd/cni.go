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

	"github.com/tinykube/tinykube/pkg/network/cni"
)

// CNI: pods get their network from tinykube-cni (Config.CNI
// CNITinykube, the node's default; cni_tinykube.go) or from Debian's
// reference plugins (CNIReference, this file). Either way each node has
// its own bridge (named from its data dir, so two nodes on one machine
// never share one) with the node's podCIDR, and the IP allocations are
// kept under the node's data dir.
//
// Masquerading: with the reference plugins it is the node's one chain
// (masq.go); tinykube-cni keeps its own per-bridge chain (one chain per
// node too, written at the first pod and removed with the last). Writing
// either config removes the other's rules, so a node switched from one
// to the other never masquerades twice.

// cniConfName is the conflist containerd loads (max_conf_num = 1).
const cniConfName = "10-tinykube.conflist"

// BridgeName is the bridge of the node whose containerd lives in dir:
// "tk" plus 8 hex digits, within the 15-byte interface name limit.
func BridgeName(dir string) string {
	abs, _ := filepath.Abs(dir)
	sum := sha256.Sum256([]byte(abs))
	return "tk" + hex.EncodeToString(sum[:4])
}

// WriteCNIConfig writes the node's conflist for the reference plugins
// for its podCIDRs (comma-separated, as CRI's RuntimeConfig carries
// them). containerd picks the file up by itself (it watches the
// directory).
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
	// Masquerading is the node's (masq.go), not the plugin's per pod;
	// tinykube-cni's rules, if it ran here before, go.
	if err := p.ensureMasquerade(prefixes); err != nil {
		return fmt.Errorf("CNI config: %w", err)
	}
	if err := cni.RemoveMasquerade(BridgeName(p.Dir)); err != nil {
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
	return p.writeConflist(conf)
}

// writeConflist writes the node's conflist unless it is unchanged.
// containerd picks the file up by itself (it watches the directory).
func (p Paths) writeConflist(conf map[string]any) error {
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
// sandbox could start until it is gone; it makes a fresh one
// (tinykube-cni would add the new gateway beside the old one, routing
// the old podCIDR to a bridge that no longer serves it). A bridge that
// still has pods on it is left to them.
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

// deleteBridgeLink deletes the node's bridge interface, if any, and
// tinykube-cni's masquerade rules for it.
func (p Paths) deleteBridgeLink() error {
	name := BridgeName(p.Dir)
	if err := cni.RemoveMasquerade(name); err != nil {
		return err
	}
	if _, err := os.Stat("/sys/class/net/" + name); err != nil {
		return nil
	}
	out, err := exec.Command("ip", "link", "delete", name).CombinedOutput()
	if err != nil {
		return fmt.Errorf("deleting bridge %s: %s: %w", name, bytes.TrimSpace(out), err)
	}
	return nil
}
