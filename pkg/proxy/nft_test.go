package proxy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/knftables"
)

func TestWithTunable(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"A=1"}, []string{"A=1", "GLIBC_TUNABLES=" + hugePages}},
		{[]string{"GLIBC_TUNABLES=", "B=2"}, []string{"GLIBC_TUNABLES=" + hugePages, "B=2"}},
		{[]string{"GLIBC_TUNABLES=glibc.malloc.check=0"}, []string{"GLIBC_TUNABLES=glibc.malloc.check=0:" + hugePages}},
	} {
		if got := withTunable(c.in); !slices.Equal(got, c.want) {
			t.Errorf("withTunable(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestNFTRunner runs transactions through NewNFT's nft in a network
// namespace of its own: a good one is applied, a failing one gives
// knftables' error (IsNotFound), an invalid object its validation error;
// List names the table's objects of a kind.
func TestNFTRunner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces, nftables)")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("no nft")
	}
	l := &lab{}
	name := fmt.Sprintf("tkp%d-r", rand.IntN(100000))
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	ctx := context.Background()
	l.do(t, name, func() {
		nft, err := NewNFT()
		if err != nil {
			t.Skipf("nftables: %v", err)
		}
		nft.(*nftRunner).hugeOps = 0 // every transaction as a large one
		tx := nft.NewTransaction()
		tx.Add(&knftables.Table{})
		tx.Add(&knftables.Chain{Name: "c"})
		tx.Add(&knftables.Rule{Chain: "c", Rule: "counter"})
		tx.Add(&knftables.Set{Name: "s", Type: "ipv4_addr"})
		tx.Add(&knftables.Element{Set: "s", Key: []string{"10.1.2.3"}})
		tx.Add(&knftables.Map{Name: "m", Type: "ipv4_addr : verdict"})
		tx.Add(&knftables.Element{Map: "m", Key: []string{"10.1.2.3"}, Value: []string{"goto c"}})
		if err := nft.Run(ctx, tx); err != nil {
			t.Fatalf("good transaction: %v", err)
		}
		// Another table's objects are not listed.
		run(t, "nft", "add table inet other; add chain inet other x; add set inet other y { type ipv4_addr; }")
		for kind, want := range map[string][]string{"chain": {"c"}, "chains": {"c"}, "set": {"s"}, "map": {"m"}, "flowtable": nil} {
			got, err := nft.List(ctx, kind)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("List(%s) = %q, %v; want %q", kind, got, err, want)
			}
		}
		tx = nft.NewTransaction()
		tx.Delete(&knftables.Chain{Name: "absent"})
		if err := nft.Run(ctx, tx); !knftables.IsNotFound(err) {
			t.Errorf("deleting a missing chain: %v, want a not-found error", err)
		}
		tx = nft.NewTransaction()
		tx.Add(&knftables.Rule{Rule: "counter"}) // no chain
		if err := nft.Run(ctx, tx); err == nil {
			t.Errorf("a rule without a chain ran")
		}
	})
}

// TestHairpinLocalOnly: only an endpoint on this node has a hairpin
// element (only a pod here sends its packets through this node's rules).
func TestHairpinLocalOnly(t *testing.T) {
	ports, _ := servicePorts(service("web", "10.96.0.10", 80, 0),
		[]*discoveryv1.EndpointSlice{slice("web", ready("10.99.2.2"), ep{ip: "10.99.3.2", ready: true, serving: true, node: "other"})}, nodeName)
	var g generator
	var hairpin []string
	for _, e := range g.serviceRules(ports).Elements {
		if e.Set == hairpinSet {
			hairpin = append(hairpin, e.ID)
		}
	}
	if want := []string{hairpinSet + " 10.99.2.2 . 10.99.2.2 . tcp . 8080"}; !slices.Equal(hairpin, want) {
		t.Errorf("hairpin elements %q, want %q", hairpin, want)
	}
}
