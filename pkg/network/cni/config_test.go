package cni

import (
	"errors"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/types"
)

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name     string
		json     string
		wantCode uint // 0: valid
		check    func(t *testing.T, c *NetConf)
	}{
		{
			name: "full",
			json: `{"cniVersion":"1.0.0","name":"n","type":"tinykube-cni","bridge":"tk1","podCIDR":"10.244.3.0/24","clusterCIDR":"10.244.0.0/16","mtu":1450,"hairpinMode":true,"ipMasq":true,"dataDir":"/tmp/x"}`,
			check: func(t *testing.T, c *NetConf) {
				if c.Gateway().String() != "10.244.3.1" || c.MTU != 1450 || c.clusterNet.String() != "10.244.0.0/16" || !c.HairpinMode || !c.IPMasq {
					t.Errorf("parsed %+v gateway %s", c, c.Gateway())
				}
			},
		},
		{
			name: "defaults",
			json: `{"cniVersion":"1.0.0","name":"n","type":"tinykube-cni","podCIDR":"10.244.3.0/24"}`,
			check: func(t *testing.T, c *NetConf) {
				if c.Bridge != DefaultBridge || c.MTU != DefaultMTU || c.DataDir != DefaultDataDir || c.clusterNet.String() != "10.244.3.0/24" {
					t.Errorf("defaults not applied: %+v", c)
				}
			},
		},
		{name: "not json", json: `{"name":`, wantCode: types.ErrDecodingFailure},
		{name: "wrong field type", json: `{"name":"n","podCIDR":5}`, wantCode: types.ErrDecodingFailure},
		{name: "no name", json: `{"podCIDR":"10.244.3.0/24"}`, wantCode: types.ErrInvalidNetworkConfig},
		{name: "other type", json: `{"name":"n","type":"bridge","podCIDR":"10.244.3.0/24"}`, wantCode: types.ErrInvalidNetworkConfig},
		{name: "no podCIDR", json: `{"name":"n"}`, wantCode: types.ErrInvalidNetworkConfig},
		{name: "bad podCIDR", json: `{"name":"n","podCIDR":"10.244.3.0"}`, wantCode: types.ErrInvalidNetworkConfig},
		{name: "host bits", json: `{"name":"n","podCIDR":"10.244.3.7/24"}`, wantCode: types.ErrInvalidNetworkConfig},
		{name: "ipv6", json: `{"name":"n","podCIDR":"fd00::/64"}`, wantCode: types.ErrInvalidNetworkConfig},
		{name: "too small", json: `{"name":"n","podCIDR":"10.244.3.0/30"}`, wantCode: types.ErrInvalidNetworkConfig},
		{name: "pod outside cluster", json: `{"name":"n","podCIDR":"10.245.3.0/24","clusterCIDR":"10.244.0.0/16"}`, wantCode: types.ErrInvalidNetworkConfig},
		{name: "long bridge", json: `{"name":"n","bridge":"abcdefghijklmnop","podCIDR":"10.244.3.0/24"}`, wantCode: types.ErrInvalidNetworkConfig},
		{name: "bridge with slash", json: `{"name":"n","bridge":"a/b","podCIDR":"10.244.3.0/24"}`, wantCode: types.ErrInvalidNetworkConfig},
		{name: "bad mtu", json: `{"name":"n","mtu":70000,"podCIDR":"10.244.3.0/24"}`, wantCode: types.ErrInvalidNetworkConfig},
		{name: "relative dataDir", json: `{"name":"n","dataDir":"x","podCIDR":"10.244.3.0/24"}`, wantCode: types.ErrInvalidNetworkConfig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.json))
			if tc.wantCode == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				tc.check(t, c)
				return
			}
			var e *types.Error
			if !errors.As(err, &e) || e.Code != tc.wantCode {
				t.Fatalf("error %v, want CNI code %d", err, tc.wantCode)
			}
		})
	}
}

// FuzzParseConfig: any input gives a valid config or a CNI error with code
// 6 or 7, never a panic, and a valid config keeps the parser's invariants.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{"cniVersion":"1.0.0","name":"n","type":"tinykube-cni","bridge":"tk1","podCIDR":"10.244.3.0/24","clusterCIDR":"10.244.0.0/16","mtu":1450,"hairpinMode":true,"ipMasq":true,"dataDir":"/tmp/x"}`,
		`{"name":"n","podCIDR":"10.0.0.0/8"}`,
		`{"name":"n","podCIDR":"10.244.3.0/29","clusterCIDR":"10.244.3.0/29"}`,
		`{"name":"n","podCIDR":"::/0"}`,
		`{"name":"n","bridge":"","podCIDR":"1.2.3.4/32"}`,
		`{"name":`,
		`[]`,
		`null`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			var e *types.Error
			if !errors.As(err, &e) || (e.Code != types.ErrDecodingFailure && e.Code != types.ErrInvalidNetworkConfig) {
				t.Fatalf("error %v is not a CNI decoding/config error", err)
			}
			return
		}
		if c.Name == "" || c.Bridge == "" || len(c.Bridge) > 15 || strings.ContainsAny(c.Bridge, "/: ") {
			t.Fatalf("invalid names accepted: %+v", c)
		}
		if c.podNet == nil || c.clusterNet == nil || !c.podNet.Contains(c.gateway) || !c.clusterNet.Contains(c.podNet.IP) {
			t.Fatalf("inconsistent networks: pod %v cluster %v gateway %v", c.podNet, c.clusterNet, c.gateway)
		}
		first, last := usableRange(c.podNet)
		if !c.podNet.Contains(first) || !c.podNet.Contains(last) || bytesCmp(first, last) > 0 {
			t.Fatalf("bad range %s-%s in %s", first, last, c.podNet)
		}
	})
}
