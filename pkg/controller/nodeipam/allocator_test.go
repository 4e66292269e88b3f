package nodeipam

import (
	"errors"
	"net/netip"
	"testing"
)

func TestAllocator(t *testing.T) {
	a, err := newAllocator(netip.MustParsePrefix("10.0.0.0/22"), 24)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.occupy("old", "10.0.1.0/24"); err != nil { // rebuilt from an existing node
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, n := range []string{"a", "b", "c"} {
		p, err := a.allocate(n)
		if err != nil {
			t.Fatal(err)
		}
		got[n] = p.String()
	}
	want := map[string]string{"a": "10.0.0.0/24", "b": "10.0.2.0/24", "c": "10.0.3.0/24"}
	for n, w := range want {
		if got[n] != w {
			t.Errorf("%s got %s, want %s", n, got[n], w)
		}
	}
	if p, _ := a.allocate("a"); p.String() != "10.0.0.0/24" {
		t.Errorf("second allocate for a node gave %s", p)
	}
	if _, err := a.allocate("d"); !errors.Is(err, ErrFull) {
		t.Errorf("full: %v", err)
	}
	a.release("b", "10.0.2.0/24")
	if p, err := a.allocate("d"); err != nil || p.String() != "10.0.2.0/24" {
		t.Errorf("after release: %v %v", p, err)
	}
	if err := a.occupy("x", "192.168.0.0/24"); err == nil {
		t.Error("foreign podCIDR accepted")
	}
}
