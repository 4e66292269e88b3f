package containerd

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tinykube/tinykube/pkg/network/cni"
)

// The node's pod network plugin (Config.CNI).
const (
	// CNIReference: Debian's reference plugins (bridge, host-local,
	// portmap, loopback) from Config.CNIBinDir; what Config.CNI "" means.
	CNIReference = "reference"
	// CNITinykube: tinykube-cni (pkg/network/cni), chained with the
	// reference portmap for hostPorts; the default of `tinykube node`
	// (--cni). The node gets its own CNI bin dir
	// (Paths.CNIBinDir) holding a tinykube-cni link to the tinykube
	// binary and links to Config.CNIBinDir's portmap and loopback (which
	// containerd's CRI runs for every sandbox).
	CNITinykube = "tinykube"
)

// validCNI checks a Config.CNI value ("" is CNIReference).
func validCNI(s string) error {
	switch s {
	case "", CNIReference, CNITinykube:
		return nil
	}
	return fmt.Errorf("containerd: CNI plugin %q: want %q or %q", s, CNIReference, CNITinykube)
}

// linkTinykubeCNI fills p.CNIBinDir: tinykube-cni → binary (the tinykube
// executable, which speaks CNI when called by that name), portmap and
// loopback → referenceDir's. Links are replaced, so a moved binary is
// picked up at the next start.
func linkTinykubeCNI(p Paths, binary, referenceDir string) error {
	binary, err := filepath.Abs(binary)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(p.CNIBinDir, 0o755); err != nil {
		return err
	}
	links := map[string]string{
		cni.PluginType: binary,
		"portmap":      filepath.Join(referenceDir, "portmap"),
		// containerd's CRI always runs the loopback network first.
		"loopback": filepath.Join(referenceDir, "loopback"),
	}
	for name, target := range links {
		if _, err := os.Stat(target); err != nil {
			return fmt.Errorf("containerd: CNI plugin %s: %w", name, err)
		}
		link := filepath.Join(p.CNIBinDir, name)
		tmp := link + ".tmp"
		os.Remove(tmp)
		if err := os.Symlink(target, tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, link); err != nil {
			return err
		}
	}
	return nil
}

// WriteTinykubeCNIConfig writes the node's conflist for tinykube-cni:
// the node's bridge (BridgeName, as with the reference plugins, so
// DeleteBridge finds it), its first IPv4 podCIDR (tinykube-cni is IPv4
// only; an IPv6 podCIDR of a dual-stack node is left unused), masquerading
// of traffic leaving clusterCIDR ("" = the podCIDR) by the plugin, and
// allocations under CNIDataDir; portmap chained for hostPorts. The node's
// own masquerade chain (masq.go, for the reference plugins) goes.
func (p Paths) WriteTinykubeCNIConfig(podCIDRs, clusterCIDR string) error {
	return p.writeTinykubeCNIConfig(podCIDRs, clusterCIDR, 0)
}

// writeTinykubeCNIConfig is WriteTinykubeCNIConfig with the pods' MTU
// (0: the plugin's default), lowered for an overlay (Config.PodMTU).
func (p Paths) writeTinykubeCNIConfig(podCIDRs, clusterCIDR string, mtu int) error {
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
		prefixes = append(prefixes, prefix.Masked())
	}
	i := slices.IndexFunc(prefixes, func(pr netip.Prefix) bool { return pr.Addr().Is4() })
	if i < 0 {
		return fmt.Errorf("CNI config: no IPv4 pod CIDR in %q (tinykube-cni is IPv4 only; --cni reference serves IPv6)", podCIDRs)
	}
	podCIDR := prefixes[i].String()
	if clusterCIDR == "" {
		clusterCIDR = podCIDR
	}
	plugin := map[string]any{
		"type": cni.PluginType, "bridge": BridgeName(p.Dir),
		"podCIDR": podCIDR, "clusterCIDR": clusterCIDR,
		"hairpinMode": true, "ipMasq": true, "dataDir": p.CNIDataDir,
	}
	if mtu != 0 {
		plugin["mtu"] = mtu
	}
	// Validate with the plugin's own parser, so a bad CIDR fails here and
	// not at the first pod.
	probe := map[string]any{"cniVersion": "1.0.0", "name": "tinykube"}
	for k, v := range plugin {
		probe[k] = v
	}
	if err := parseWith(probe); err != nil {
		return fmt.Errorf("CNI config: %w", err)
	}
	// The plugin masquerades; rules the node wrote for the reference
	// plugins would do it twice.
	if err := p.DeleteMasquerade(); err != nil {
		return fmt.Errorf("CNI config: %w", err)
	}
	if err := p.resetStaleBridge(prefixes[i : i+1]); err != nil {
		return fmt.Errorf("CNI config: %w", err)
	}
	return p.writeConflist(map[string]any{
		"cniVersion": "1.0.0",
		"name":       "tinykube",
		"plugins": []any{
			plugin,
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	})
}

// parseWith checks a tinykube-cni network config with the plugin's own
// parser.
func parseWith(conf map[string]any) error {
	b, err := json.Marshal(conf)
	if err != nil {
		return err
	}
	_, err = cni.ParseConfig(b)
	return err
}
