package cacher

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestObjectIndex: after random sets and deletes, prefix scans return
// exactly the keys a full scan and sort would, in order.
func TestObjectIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	key := func() string { return fmt.Sprintf("/r/ns%d/p%d", rng.IntN(4), rng.IntN(50)) }
	initial := map[string]*entry{}
	for range 40 {
		k := key()
		initial[k] = &entry{key: k}
	}
	x := newObjectIndex(initial)
	ref := map[string]*entry{}
	for k, e := range initial {
		ref[k] = e
	}
	for i := range 2000 {
		k := key()
		if rng.IntN(3) == 0 {
			x.delete(k)
			delete(ref, k)
		} else {
			e := &entry{key: k}
			x.set(e)
			ref[k] = e
		}
		if i%50 != 0 {
			continue
		}
		for _, p := range []string{"/r/", "/r/ns1/", "/r/ns3/p1", "/r/ns9/", "/s/"} {
			var want []*entry
			for k, e := range ref {
				if strings.HasPrefix(k, p) {
					want = append(want, e)
				}
			}
			slices.SortFunc(want, func(a, b *entry) int { return strings.Compare(a.key, b.key) })
			if got := x.prefix(p); !slices.Equal(got, want) {
				t.Fatalf("step %d prefix %q: %d entries, want %d", i, p, len(got), len(want))
			}
		}
		if x.len() != len(ref) || len(x.sorted) != len(ref) {
			t.Fatalf("step %d: %d/%d entries, want %d", i, x.len(), len(x.sorted), len(ref))
		}
	}
}
