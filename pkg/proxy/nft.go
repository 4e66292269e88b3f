package proxy

import (
	"context"
	"os"
	"os/exec"
	"strings"

	"sigs.k8s.io/knftables"
)

// NewNFT is `nft` on table inet tinykube: knftables, but for how a
// transaction runs. Most of what `nft -f` spends on a large transaction
// (1,000 Services) is its own malloc touching fresh heap pages, a page
// fault each 4 KiB; with glibc's glibc.malloc.hugetlb=1 its heap is on
// transparent huge pages and nft takes about two thirds of the CPU for
// the same transaction (BENCHMARKS.md §8). The tunable is set for nft
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
	return &nftRunner{Interface: nft, path: path}, nil
}

// hugePages asks glibc's malloc for transparent huge pages.
const hugePages = "glibc.malloc.hugetlb=1"

type nftRunner struct {
	knftables.Interface
	path string
}

// Run is knftables' Run (`nft -f -` fed the transaction) with the
// tunable in nft's environment. A failed transaction changed nothing;
// it is run again by knftables itself, for knftables' error (which
// IsNotFound and IsAlreadyExists read).
func (n *nftRunner) Run(ctx context.Context, tx *knftables.Transaction) error {
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
