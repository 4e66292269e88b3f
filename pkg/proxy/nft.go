package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"sigs.k8s.io/knftables"
)

// NewNFT is `nft` on table inet tinykube: knftables, but for how a
// transaction runs and how objects are listed (List, below). Most of
// what `nft -f` spends on a large transaction (1,000 Services) is its
// own malloc touching fresh heap pages, a page fault each 4 KiB; with
// glibc's glibc.malloc.hugetlb=1 its heap is on transparent huge pages
// and nft takes about two thirds of the CPU for the same transaction
// (BENCHMARKS.md §8). The tunable is set for large transactions' nft
// alone, not for this process's other children; where THP is off or
// glibc is older it changes nothing.
func NewNFT() (knftables.Interface, error) {
	nft, err := knftables.New(knftables.InetFamily, Table)
	if err != nil {
		return nil, err
	}
	path, err := exec.LookPath("nft")
	if err != nil {
		return nil, err
	}
	return &nftRunner{Interface: nft, path: path, hugeOps: hugeOps}, nil
}

// hugePages asks glibc's malloc for transparent huge pages, for
// transactions of hugeOps operations or more: below about that many
// (200 to 300 Services) clearing the huge pages costs nft more than the
// page faults it saves.
const (
	hugePages = "glibc.malloc.hugetlb=1"
	hugeOps   = 1000
)

type nftRunner struct {
	knftables.Interface
	path    string
	hugeOps int
}

// Run is knftables' Run (`nft -f -` fed the transaction), with the
// tunable in nft's environment when the transaction is large. A failed
// transaction changed nothing; it is run again by knftables itself, for
// knftables' error (which IsNotFound and IsAlreadyExists read).
func (n *nftRunner) Run(ctx context.Context, tx *knftables.Transaction) error {
	if tx.NumOperations() < n.hugeOps {
		return n.Interface.Run(ctx, tx)
	}
	text := tx.String()
	// knftables writes a transaction's pending error (an invalid
	// object) as a last comment, "# ERROR: …"; its Run returns it.
	if i := strings.LastIndex(text, "# ERROR: "); i >= 0 && (i == 0 || text[i-1] == '\n') {
		return n.Interface.Run(ctx, tx)
	}
	cmd := exec.CommandContext(ctx, n.path, "-f", "-")
	cmd.Stdin = strings.NewReader(text)
	cmd.Env = withTunable(os.Environ())
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return n.Interface.Run(ctx, tx)
	}
	return nil
}

// List is knftables' List of the table's chains, sets, maps… by name,
// but terse (`nft --terse`): a set's or map's elements are not listed.
// knftables lists them, and a full sync lists the sets of a table
// holding every ClusterIP (a 600 kB answer, seconds of nft on a loaded
// machine, for 1,000 Services). A failed listing is left to knftables,
// for its error.
func (n *nftRunner) List(ctx context.Context, objectType string) ([]string, error) {
	plural := strings.TrimSuffix(objectType, "s") + "s"
	out, err := exec.CommandContext(ctx, n.path, "--json", "--terse", "list", plural, string(knftables.InetFamily)).Output()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return n.Interface.List(ctx, objectType)
	}
	var listing struct {
		Nftables []map[string]struct{ Table, Name string } `json:"nftables"`
	}
	if err := json.Unmarshal(out, &listing); err != nil {
		return nil, fmt.Errorf("parsing nft's listing of %s: %w", plural, err)
	}
	var names []string
	for _, o := range listing.Nftables {
		if obj, ok := o[strings.TrimSuffix(plural, "s")]; ok && obj.Table == Table {
			names = append(names, obj.Name)
		}
	}
	return names, nil
}

// withTunable adds hugePages to GLIBC_TUNABLES in env.
func withTunable(env []string) []string {
	out := make([]string, 0, len(env)+1)
	set := false
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GLIBC_TUNABLES="); ok {
			if v != "" {
				v += ":"
			}
			kv, set = "GLIBC_TUNABLES="+v+hugePages, true
		}
		out = append(out, kv)
	}
	if !set {
		out = append(out, "GLIBC_TUNABLES="+hugePages)
	}
	return out
}
