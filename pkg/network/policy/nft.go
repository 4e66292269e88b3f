package policy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/knftables"
)

// Table is the nftables table this package shares with the service
// proxy (family inet). It owns only the objects named Prefix*.
const Table = "tinykube"

// Applier programs Rulesets into table inet tinykube: the first Apply
// (and the one after an error) rewrites every policy-* object in one
// transaction, removing those of an earlier run that are no longer
// wanted; later ones send only the difference to the last ruleset
// applied: changed elements, rewritten chains, objects added or gone.
type Applier struct {
	nft  knftables.Interface
	last *Ruleset
}

// NewApplier checks that nft works and returns an Applier.
func NewApplier() (*Applier, error) {
	nft, err := knftables.New(knftables.InetFamily, Table)
	if err != nil {
		return nil, err
	}
	return &Applier{nft: nft}, nil
}

// Resync makes the next Apply a full one.
func (a *Applier) Resync() { a.last = nil }

// Apply makes the table's policy-* objects rs; it returns the number of
// nft operations sent.
func (a *Applier) Apply(ctx context.Context, rs *Ruleset) (int, error) {
	tx := a.nft.NewTransaction()
	if a.last == nil {
		if err := a.full(ctx, tx, rs); err != nil {
			return 0, err
		}
	} else {
		a.delta(tx, a.last, rs)
	}
	n := tx.NumOperations()
	if n == 0 {
		return 0, nil
	}
	if err := a.nft.Run(ctx, tx); err != nil {
		a.last = nil
		return n, err
	}
	a.last = rs
	return n, nil
}

// owned lists the table's chains and sets named Prefix* (none if the
// table does not exist).
func (a *Applier) owned(ctx context.Context) (chains, sets []string, err error) {
	for _, kind := range []string{"chain", "set"} {
		names, err := a.nft.List(ctx, kind)
		if err != nil && !knftables.IsNotFound(err) {
			return nil, nil, err
		}
		for _, n := range names {
			if strings.HasPrefix(n, Prefix) {
				if kind == "chain" {
					chains = append(chains, n)
				} else {
					sets = append(sets, n)
				}
			}
		}
	}
	return chains, sets, nil
}

func (a *Applier) full(ctx context.Context, tx *knftables.Transaction, rs *Ruleset) error {
	chains, sets, err := a.owned(ctx)
	if err != nil {
		return err
	}
	tx.Add(&knftables.Table{})
	// Flush every chain first: nothing of ours refers to a set or chain
	// any more, so any of them can go or be rewritten.
	for _, c := range chains {
		tx.Flush(&knftables.Chain{Name: c})
	}
	for _, name := range sortedNames(rs.Sets) {
		s := rs.Sets[name]
		tx.Add(setObject(name, s))
		tx.Flush(&knftables.Set{Name: name})
		addElements(tx, name, s.Elements)
	}
	a.addChains(tx, rs, func(string) bool { return true })
	for _, c := range chains {
		if rs.Chains[c] == nil {
			tx.Delete(&knftables.Chain{Name: c})
		}
	}
	for _, s := range sets {
		if rs.Sets[s] == nil {
			tx.Delete(&knftables.Set{Name: s})
		}
	}
	return nil
}

func (a *Applier) delta(tx *knftables.Transaction, old, rs *Ruleset) {
	for _, name := range sortedNames(rs.Sets) {
		s, o := rs.Sets[name], old.Sets[name]
		if o == nil {
			tx.Add(setObject(name, s))
			addElements(tx, name, s.Elements)
			continue
		}
		// Deletions first: an interval set refuses a range that
		// overlaps one still there.
		add, del := diff(o.Elements, s.Elements)
		for _, e := range batches(del) {
			tx.Delete(&knftables.Element{Set: name, Key: []string{e}})
		}
		addElements(tx, name, add)
	}
	a.addChains(tx, rs, func(name string) bool {
		o := old.Chains[name]
		return o == nil || o.Comment != rs.Chains[name].Comment || !slices.Equal(o.Rules, rs.Chains[name].Rules)
	})
	for _, name := range sortedNames(old.Chains) {
		if rs.Chains[name] == nil {
			tx.Flush(&knftables.Chain{Name: name})
			tx.Delete(&knftables.Chain{Name: name})
		}
	}
	for _, name := range sortedNames(old.Sets) {
		if rs.Sets[name] == nil {
			tx.Delete(&knftables.Set{Name: name})
		}
	}
}

// addChains (re)writes the chains write picks: per-policy chains before
// the base chains that jump to them.
func (a *Applier) addChains(tx *knftables.Transaction, rs *Ruleset, write func(string) bool) {
	names := sortedNames(rs.Chains)
	sort.SliceStable(names, func(i, j int) bool { return !rs.Chains[names[i]].Base && rs.Chains[names[j]].Base })
	for _, name := range names {
		if !write(name) {
			continue
		}
		c := rs.Chains[name]
		obj := &knftables.Chain{Name: name}
		if c.Base {
			obj.Type = knftables.PtrTo(knftables.FilterType)
			obj.Hook = knftables.PtrTo(knftables.ForwardHook)
			obj.Priority = knftables.PtrTo(knftables.FilterPriority)
		}
		if c.Comment != "" {
			obj.Comment = knftables.PtrTo(c.Comment)
		}
		tx.Add(obj)
		tx.Flush(&knftables.Chain{Name: name})
		for _, r := range c.Rules {
			tx.Add(&knftables.Rule{Chain: name, Rule: r})
		}
	}
}

// batchSize elements go in one "add element" command: for 100 policies
// over 1,000 pods that is 3,221 commands instead of 25,527, and nft
// takes about half the CPU time (BenchmarkProgram, "full" and
// "one-element-per-command"). knftables writes a Key as is, so a Key of
// "a, b, c" is the element list { a, b, c }.
var batchSize = 512

func batches(elements []string) []string {
	var out []string
	for len(elements) > 0 {
		n := min(len(elements), max(batchSize, 1))
		out = append(out, strings.Join(elements[:n], ", "))
		elements = elements[n:]
	}
	return out
}

func addElements(tx *knftables.Transaction, set string, elements []string) {
	for _, e := range batches(elements) {
		tx.Add(&knftables.Element{Set: set, Key: []string{e}})
	}
}

func setObject(name string, s *Set) *knftables.Set {
	obj := &knftables.Set{Name: name, Type: s.Type}
	if s.Interval {
		obj.Flags = []knftables.SetFlag{knftables.IntervalFlag}
	}
	return obj
}

// Cleanup removes every policy-* object from the table (what
// --network-policy=false does at start), leaving the service proxy's.
func (a *Applier) Cleanup(ctx context.Context) error {
	chains, sets, err := a.owned(ctx)
	if err != nil || len(chains)+len(sets) == 0 {
		return err
	}
	tx := a.nft.NewTransaction()
	for _, c := range chains {
		tx.Flush(&knftables.Chain{Name: c})
	}
	for _, c := range chains {
		tx.Delete(&knftables.Chain{Name: c})
	}
	for _, s := range sets {
		tx.Delete(&knftables.Set{Name: s})
	}
	a.last = nil
	if err := a.nft.Run(ctx, tx); err != nil {
		return fmt.Errorf("removing policy rules: %w", err)
	}
	return nil
}

// diff returns what is in b and not in a, and in a and not in b, each in
// its list's order.
func diff(a, b []string) (add, del []string) {
	in := func(l []string) map[string]bool {
		m := make(map[string]bool, len(l))
		for _, e := range l {
			m[e] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	for _, e := range b {
		if !ma[e] {
			add = append(add, e)
		}
	}
	for _, e := range a {
		if !mb[e] {
			del = append(del, e)
		}
	}
	return add, del
}

func sortedNames[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
