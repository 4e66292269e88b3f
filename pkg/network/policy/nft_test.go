package policy

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/containernetworking/plugins/pkg/testutils"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// newNetns makes a network namespace for the test (root and nft
// needed), removed when the test ends.
func newNetns(t testing.TB) ns.NetNS {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("needs nft (Debian package nftables)")
	}
	n, err := testutils.NewNS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.Close()
		testutils.UnmountNS(n)
	})
	return n
}

// inNetns runs f in n (a fresh one if nil), so that nothing f programs
// touches the host. f runs on one locked OS thread: it must not start
// goroutines that call nft (b.Run does: call inNetns inside each
// sub-benchmark instead).
func inNetns(t testing.TB, n ns.NetNS, f func()) {
	t.Helper()
	if n == nil {
		n = newNetns(t)
	}
	if err := n.Do(func(ns.NetNS) error { f(); return nil }); err != nil {
		t.Fatal(err)
	}
}

func nft(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("nft", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("nft %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestApply programs rulesets into a real table inet tinykube: the first
// sync takes over from an earlier run (its stale policy-* objects go) and
// never touches the service proxy's objects; an incremental sync ends in
// the same table as a full one; Cleanup leaves only the proxy's.
func TestApply(t *testing.T) {
	inNetns(t, nil, func() {
		ctx := context.Background()
		script := `add table inet tinykube
add chain inet tinykube svc-prerouting { type nat hook prerouting priority dstnat; }
add set inet tinykube proxy-ips { type ipv4_addr; elements = { 10.96.0.1 } }
add rule inet tinykube svc-prerouting ip daddr @proxy-ips counter
add chain inet tinykube policy-stale
add set inet tinykube policy-stale-set { type ipv4_addr; }
add rule inet tinykube policy-stale ip saddr @policy-stale-set drop
`
		cmd := exec.Command("nft", "-f", "-")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		a, err := NewApplier()
		if err != nil {
			t.Fatal(err)
		}
		in := world()
		in.Policies = []*networkingv1.NetworkPolicy{
			np("default", "web", func(s *networkingv1.NetworkPolicySpec) {
				s.PodSelector = *sel("app", "web")
				s.Ingress = []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{{PodSelector: sel("app", "client")}, {IPBlock: &networkingv1.IPBlock{CIDR: "172.16.0.0/16", Except: []string{"172.16.1.0/24"}}}},
					Ports: []networkingv1.NetworkPolicyPort{port("", intstr.FromString("http")), port("", intstr.FromInt32(80), 90)},
				}}
			}),
			np("default", "deny", func(s *networkingv1.NetworkPolicySpec) {
				s.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
			}),
		}
		rs, _ := Compute(in)
		if _, err := a.Apply(ctx, rs); err != nil {
			t.Fatal(err)
		}
		table := nft(t, "list", "table", "inet", "tinykube")
		for _, want := range []string{"svc-prerouting", "proxy-ips", "10.96.0.1", "policy-ingress", "policy-egress", "hook forward", "172.16.2.0-172.16.255.255", "10.0.1.2 . tcp . 8080"} {
			if !strings.Contains(table, want) {
				t.Errorf("table lacks %q:\n%s", want, table)
			}
		}
		if strings.Contains(table, "policy-stale") {
			t.Errorf("stale objects of an earlier run kept:\n%s", table)
		}
		if n, err := a.Apply(ctx, rs); n != 0 || err != nil {
			t.Errorf("unchanged ruleset: %d operations, %v; want none", n, err)
		}

		// Change: the deny policy goes, a client moves, web's ports
		// change, a new pod joins.
		in.Policies = in.Policies[:1]
		in.Policies[0].Spec.Ingress[0].Ports = []networkingv1.NetworkPolicyPort{port("", intstr.FromInt32(85), 100), port("UDP", intstr.FromInt32(53))}
		in.Pods[2].Status.PodIP, in.Pods[2].Status.PodIPs[0].IP = "10.0.1.9", "10.0.1.9"
		in.Pods = append(in.Pods, testPod("default", "web3", "10.0.1.10", node, map[string]string{"app": "web"}))
		rs2, _ := Compute(in)
		n, err := a.Apply(ctx, rs2)
		if err != nil {
			t.Fatal(err)
		}
		incremental := nft(t, "list", "table", "inet", "tinykube")
		fresh, err := NewApplier()
		if err != nil {
			t.Fatal(err)
		}
		full, err := fresh.Apply(ctx, rs2)
		if err != nil {
			t.Fatal(err)
		}
		if again := nft(t, "list", "table", "inet", "tinykube"); again != incremental {
			t.Errorf("incremental sync (%d ops) differs from a full one (%d ops):\n%s\n----\n%s", n, full, incremental, again)
		}
		if n >= full {
			t.Errorf("incremental sync sent %d operations, a full one %d", n, full)
		}

		if err := a.Cleanup(ctx); err != nil {
			t.Fatal(err)
		}
		table = nft(t, "list", "table", "inet", "tinykube")
		if strings.Contains(table, "policy-") || !strings.Contains(table, "proxy-ips") || !strings.Contains(table, "svc-prerouting") {
			t.Errorf("after Cleanup:\n%s", table)
		}
	})
}
