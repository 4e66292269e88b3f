package cni

import (
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"

	"github.com/containernetworking/cni/pkg/types"
)

// PluginType is the "type" a network config names to run this plugin, and
// the argv[0] basename under which the tinykube binary speaks CNI.
const PluginType = "tinykube-cni"

// Defaults applied by ParseConfig.
const (
	DefaultBridge  = "tk0"
	DefaultMTU     = 1500
	DefaultDataDir = "/var/lib/tinykube/cni/networks"
)

// ErrRangeExhausted is the plugin-specific CNI error code (the spec leaves
// 100 and up to plugins) returned when the podCIDR has no free address left.
const ErrRangeExhausted uint = 100

// NetConf is the network configuration the runtime passes on stdin:
//
//	{
//	  "cniVersion": "1.0.0",
//	  "name": "tinykube",
//	  "type": "tinykube-cni",
//	  "bridge": "tk0",              // bridge to create or reuse (<= 15 chars)
//	  "podCIDR": "10.244.1.0/24",   // this node's pod range; gateway = first IP
//	  "clusterCIDR": "10.244.0.0/16", // traffic to it is not masqueraded
//	  "mtu": 1500,
//	  "hairpinMode": true,          // hairpin on the host-side veth
//	  "ipMasq": true,               // masquerade podCIDR traffic leaving clusterCIDR
//	  "dataDir": "/var/lib/tinykube/cni/networks", // IPAM allocations
//	  "dns": {"nameservers": [...], "search": [...], "options": [...]}
//	}
//
// clusterCIDR defaults to podCIDR; bridge, mtu and dataDir have defaults.
type NetConf struct {
	types.PluginConf
	Bridge      string `json:"bridge,omitempty"`
	PodCIDR     string `json:"podCIDR"`
	ClusterCIDR string `json:"clusterCIDR,omitempty"`
	MTU         int    `json:"mtu,omitempty"`
	HairpinMode bool   `json:"hairpinMode,omitempty"`
	IPMasq      bool   `json:"ipMasq,omitempty"`
	DataDir     string `json:"dataDir,omitempty"`

	// Parsed forms, filled in by ParseConfig.
	podNet     *net.IPNet
	clusterNet *net.IPNet
	gateway    net.IP
}

// ParseConfig decodes and validates a network config. Errors are *types.Error
// with the CNI code that fits: 6 (decoding) for JSON that does not parse, 7
// (invalid network config) for a config that parses but is wrong.
func ParseConfig(data []byte) (*NetConf, error) {
	conf := &NetConf{}
	if err := json.Unmarshal(data, conf); err != nil {
		return nil, types.NewError(types.ErrDecodingFailure, "failed to decode network config", err.Error())
	}
	invalid := func(format string, args ...any) error {
		return types.NewError(types.ErrInvalidNetworkConfig, fmt.Sprintf(format, args...), "")
	}
	if conf.Name == "" {
		return nil, invalid("network config: missing name")
	}
	if conf.Type != "" && conf.Type != PluginType {
		return nil, invalid("network config: type is %q, want %q", conf.Type, PluginType)
	}
	if conf.Bridge == "" {
		conf.Bridge = DefaultBridge
	}
	if len(conf.Bridge) > 15 {
		return nil, invalid("network config: bridge name %q is longer than 15 characters", conf.Bridge)
	}
	for _, r := range conf.Bridge {
		if r <= ' ' || r == '/' || r == ':' || r > '~' {
			return nil, invalid("network config: bridge name %q has an invalid character", conf.Bridge)
		}
	}
	if conf.MTU == 0 {
		conf.MTU = DefaultMTU
	}
	if conf.MTU < 576 || conf.MTU > 65535 {
		return nil, invalid("network config: mtu %d out of range [576, 65535]", conf.MTU)
	}
	if conf.DataDir == "" {
		conf.DataDir = DefaultDataDir
	}
	if !filepath.IsAbs(conf.DataDir) {
		return nil, invalid("network config: dataDir %q is not an absolute path", conf.DataDir)
	}
	if conf.PodCIDR == "" {
		return nil, invalid("network config: missing podCIDR")
	}
	ip, podNet, err := net.ParseCIDR(conf.PodCIDR)
	if err != nil {
		return nil, invalid("network config: podCIDR %q: %v", conf.PodCIDR, err)
	}
	if ip.To4() == nil {
		return nil, invalid("network config: podCIDR %q is not IPv4 (only IPv4 is supported)", conf.PodCIDR)
	}
	if !ip.Equal(podNet.IP) {
		return nil, invalid("network config: podCIDR %q has host bits set (network is %s)", conf.PodCIDR, podNet)
	}
	if ones, _ := podNet.Mask.Size(); ones > 29 || ones < 8 {
		return nil, invalid("network config: podCIDR %q must be between /8 and /29", conf.PodCIDR)
	}
	podNet.IP = podNet.IP.To4()
	conf.podNet = podNet
	conf.gateway = nextIP(podNet.IP)
	if conf.ClusterCIDR == "" {
		conf.ClusterCIDR = podNet.String()
	}
	_, clusterNet, err := net.ParseCIDR(conf.ClusterCIDR)
	if err != nil {
		return nil, invalid("network config: clusterCIDR %q: %v", conf.ClusterCIDR, err)
	}
	if clusterNet.IP.To4() == nil {
		return nil, invalid("network config: clusterCIDR %q is not IPv4", conf.ClusterCIDR)
	}
	cOnes, _ := clusterNet.Mask.Size()
	pOnes, _ := podNet.Mask.Size()
	if cOnes > pOnes || !clusterNet.Contains(podNet.IP) {
		return nil, invalid("network config: podCIDR %s is not inside clusterCIDR %s", podNet, clusterNet)
	}
	conf.clusterNet = clusterNet
	return conf, nil
}

// Gateway is the bridge's address: the first address of podCIDR.
func (c *NetConf) Gateway() net.IP { return c.gateway }

// PodNet is the parsed podCIDR.
func (c *NetConf) PodNet() *net.IPNet { return c.podNet }

func nextIP(ip net.IP) net.IP {
	out := make(net.IP, len(ip))
	copy(out, ip)
	for i := len(out) - 1; i >= 0; i-- {
		out[i]++
		if out[i] != 0 {
			break
		}
	}
	return out
}
