package cni

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
)

// Masquerading is done with iptables (the nf_tables backend on current
// systems): one chain per bridge in the nat table, jumped to from
// POSTROUTING for traffic sourced from the podCIDR. Traffic to the cluster
// CIDR returns unchanged (pod-to-pod keeps its source), multicast is left
// alone, the rest is masqueraded. Every rule carries the comment
// "tinykube-cni <bridge>", so it is easy to spot and to remove.

func masqChain(bridge string) string { return "TKCNI-" + bridge }

func masqComment(bridge string) string { return "tinykube-cni " + bridge }

func iptables(args ...string) error {
	cmd := exec.Command("iptables", append([]string{"-w", "5"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("iptables %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

func (c *NetConf) jumpRule() []string {
	return []string{"-s", c.podNet.String(), "-m", "comment", "--comment", masqComment(c.Bridge), "-j", masqChain(c.Bridge)}
}

func (c *NetConf) chainRules() [][]string {
	comment := []string{"-m", "comment", "--comment", masqComment(c.Bridge)}
	return [][]string{
		append([]string{"-d", c.clusterNet.String()}, append(comment, "-j", "RETURN")...),
		append([]string{"!", "-d", "224.0.0.0/4"}, append(comment, "-j", "MASQUERADE")...),
	}
}

// ensureMasquerade installs the bridge's masquerade rules if they are
// missing; running it again changes nothing.
func ensureMasquerade(c *NetConf) error {
	chain := masqChain(c.Bridge)
	if iptables("-t", "nat", "-S", chain) != nil {
		if err := iptables("-t", "nat", "-N", chain); err != nil && iptables("-t", "nat", "-S", chain) != nil {
			return err
		}
	}
	for _, r := range c.chainRules() {
		if iptables(append([]string{"-t", "nat", "-C", chain}, r...)...) != nil {
			if err := iptables(append([]string{"-t", "nat", "-A", chain}, r...)...); err != nil {
				return err
			}
		}
	}
	jump := c.jumpRule()
	if iptables(append([]string{"-t", "nat", "-C", "POSTROUTING"}, jump...)...) != nil {
		if err := iptables(append([]string{"-t", "nat", "-A", "POSTROUTING"}, jump...)...); err != nil {
			return err
		}
	}
	return nil
}

// removeMasquerade deletes the bridge's rules and chain; rules already gone
// are not an error. It finds the POSTROUTING jumps by their comment, so it
// needs only the bridge name (a node cleaning up may not know the podCIDR
// any more).
func removeMasquerade(bridge string) error {
	chain := masqChain(bridge)
	out, err := exec.Command("iptables", "-w", "5", "-t", "nat", "-S", "POSTROUTING").Output()
	if err != nil {
		return fmt.Errorf("iptables -t nat -S POSTROUTING: %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "-A" || !strings.HasSuffix(line, "-j "+chain) {
			continue
		}
		// -A POSTROUTING -s <podCIDR> -m comment --comment "tinykube-cni <bridge>" -j <chain>
		if f[2] != "-s" {
			continue
		}
		rule := []string{"-s", f[3], "-m", "comment", "--comment", masqComment(bridge), "-j", chain}
		if err := iptables(append([]string{"-t", "nat", "-D", "POSTROUTING"}, rule...)...); err != nil {
			return err
		}
	}
	if iptables("-t", "nat", "-S", chain) != nil {
		return nil
	}
	if err := iptables("-t", "nat", "-F", chain); err != nil {
		return err
	}
	return iptables("-t", "nat", "-X", chain)
}

// hasMasquerade reports whether the bridge's POSTROUTING jump is in place.
func hasMasquerade(c *NetConf) bool {
	return iptables(append([]string{"-t", "nat", "-C", "POSTROUTING"}, c.jumpRule()...)...) == nil
}
