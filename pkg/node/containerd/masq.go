package containerd

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
)

// Masquerading: traffic from the node's pods to anything outside its
// podCIDRs leaves with the node's address. The bridge plugin's ipMasq
// does this with a chain and rules per pod, added and deleted by
// iptables calls (serialised by the xtables lock) inside every
// RunPodSandbox and StopPodSandbox: a fifth of containerd's CPU in a
// 30-pod burst (BENCHMARKS.md §6). The node instead keeps one chain,
// written when its podCIDRs are known:
//
//	POSTROUTING -s <podCIDR> -m comment --comment tinykube-<bridge> -j TINYKUBE-MASQ-<hex>
//	TINYKUBE-MASQ-<hex>: -d <podCIDR> RETURN, -d multicast RETURN, MASQUERADE
//
// which is what the plugin's per-pod chains do, once for the node.

// masqChain is the nat chain of the node whose containerd lives in
// p.Dir (within iptables' 28-byte chain name limit).
func (p Paths) masqChain() string {
	return "TINYKUBE-MASQ-" + strings.TrimPrefix(BridgeName(p.Dir), "tk")
}

// masqComment marks the node's POSTROUTING jumps (no spaces, so that
// `iptables -S` prints it unquoted).
func (p Paths) masqComment() string { return "tinykube-" + BridgeName(p.Dir) }

// iptablesFamily is one address family's iptables binary and multicast
// range.
type iptablesFamily struct {
	bin       string
	multicast string
	is4       bool
}

var iptablesFamilies = []iptablesFamily{{"iptables", "224.0.0.0/4", true}, {"ip6tables", "ff00::/8", false}}

// ensureMasquerade makes the node's masquerade chain and jumps match
// prefixes, changing nothing when they already do (a restarted node).
func (p Paths) ensureMasquerade(prefixes []netip.Prefix) error {
	chain := p.masqChain()
	for _, fam := range iptablesFamilies {
		var mine []netip.Prefix
		for _, pr := range prefixes {
			if pr.Addr().Is4() == fam.is4 {
				mine = append(mine, pr)
			}
		}
		if len(mine) == 0 {
			// No pods of this family: remove what an earlier podCIDR left.
			if err := p.deleteMasquerade(fam); err != nil {
				return err
			}
			continue
		}
		want := []string{"-N " + chain}
		for _, pr := range mine {
			want = append(want, fmt.Sprintf("-A %s -d %s -j RETURN", chain, pr))
		}
		want = append(want, fmt.Sprintf("-A %s -d %s -j RETURN", chain, fam.multicast), fmt.Sprintf("-A %s -j MASQUERADE", chain))
		have, err := iptables(fam.bin, "-t", "nat", "-S", chain)
		if err != nil {
			if _, err := iptables(fam.bin, "-t", "nat", "-N", chain); err != nil {
				return err
			}
			have = "-N " + chain
		}
		if !slices.Equal(lines(have), want) {
			if _, err := iptables(fam.bin, "-t", "nat", "-F", chain); err != nil {
				return err
			}
			for _, rule := range want[1:] {
				if _, err := iptables(fam.bin, append([]string{"-t", "nat"}, strings.Fields(rule)...)...); err != nil {
					return err
				}
			}
		}
		// The jumps: one per podCIDR, and none for an old one.
		jumps, err := p.masqJumps(fam)
		if err != nil {
			return err
		}
		wantJumps := map[string]bool{}
		for _, pr := range mine {
			j := fmt.Sprintf("-A POSTROUTING -s %s -m comment --comment %s -j %s", pr, p.masqComment(), chain)
			wantJumps[j] = true
			if !slices.Contains(jumps, j) {
				if _, err := iptables(fam.bin, append([]string{"-t", "nat"}, strings.Fields(j)...)...); err != nil {
					return err
				}
			}
		}
		for _, j := range jumps {
			if !wantJumps[j] {
				if _, err := iptables(fam.bin, append([]string{"-t", "nat", "-D"}, strings.Fields(j)[1:]...)...); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// masqJumps lists the node's POSTROUTING jumps, as `iptables -S` prints
// them.
func (p Paths) masqJumps(fam iptablesFamily) ([]string, error) {
	out, err := iptables(fam.bin, "-t", "nat", "-S", "POSTROUTING")
	if err != nil {
		return nil, err
	}
	var jumps []string
	for _, l := range lines(out) {
		if strings.HasSuffix(l, " -j "+p.masqChain()) {
			jumps = append(jumps, l)
		}
	}
	return jumps, nil
}

// deleteMasquerade removes the node's jumps and chain of one family, if
// any.
func (p Paths) deleteMasquerade(fam iptablesFamily) error {
	if _, err := exec.LookPath(fam.bin); err != nil {
		return nil // nothing was ever written with it
	}
	jumps, err := p.masqJumps(fam)
	if err != nil {
		return nil // no nat table for this family (e.g. no ip6table_nat): nothing was written there
	}
	for _, j := range jumps {
		if _, err := iptables(fam.bin, append([]string{"-t", "nat", "-D"}, strings.Fields(j)[1:]...)...); err != nil {
			return err
		}
	}
	chain := p.masqChain()
	if _, err := iptables(fam.bin, "-t", "nat", "-S", chain); err != nil {
		return nil // no chain
	}
	if _, err := iptables(fam.bin, "-t", "nat", "-F", chain); err != nil {
		return err
	}
	_, err = iptables(fam.bin, "-t", "nat", "-X", chain)
	return err
}

// DeleteMasquerade removes the node's masquerade chains and jumps (for
// cleanup after its pods are gone, with the bridge).
func (p Paths) DeleteMasquerade() error {
	var errs []error
	for _, fam := range iptablesFamilies {
		errs = append(errs, p.deleteMasquerade(fam))
	}
	return errors.Join(errs...)
}

// iptables runs bin (waiting for the xtables lock) and returns its
// output.
func iptables(bin string, args ...string) (string, error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return "", fmt.Errorf("masquerading pod traffic needs %s (Debian: apt install iptables): %w", bin, err)
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(path, append([]string{"-w"}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %s: %w", bin, strings.Join(args, " "), bytes.TrimSpace(stderr.Bytes()), err)
	}
	return out.String(), nil
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
