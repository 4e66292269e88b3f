package proxy

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"sigs.k8s.io/knftables"
)

// textNFT is an nftables that runs nothing: Run renders the transaction
// as the text `nft -f` would read (what the real one writes); List is
// the fake's, on a table that is never made. It leaves the proxy's own work, without nft's.
type textNFT struct {
	knftables.Interface
	last string
}

func (n *textNFT) NewTransaction() *knftables.Transaction { return n.Interface.NewTransaction() }

func (n *textNFT) Run(_ context.Context, tx *knftables.Transaction) error {
	n.last = tx.String()
	return nil
}

// benchProxier is a Proxier holding n Services of eps endpoints each
// on other nodes (as `tinykube bench proxy` makes them, but for the
// node), none synced yet.
func benchProxier(b *testing.B, n, eps int) (*Proxier, *textNFT) {
	nft := &textNFT{Interface: knftables.NewFake(knftables.InetFamily, Table)}
	p, err := New(Config{NodeName: nodeName, ClusterCIDR: "10.244.0.0/16", NFT: nft,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		name := fmt.Sprintf("svc-%04d", i)
		p.SetService(service(name, fmt.Sprintf("10.96.%d.%d", i>>8, i&255), 80, 0), false)
		var list []ep
		for j := range eps {
			k := i*eps + j
			list = append(list, ep{ip: fmt.Sprintf("10.%d.%d.%d", 100+k>>16&3, k>>8&255, k&255), ready: true, serving: true, node: "elsewhere"})
		}
		p.SetEndpointSlice(slice(name, list...), false)
	}
	return p, nft
}

// BenchmarkFullSync is the proxy's own share of a full sync of 1,000
// Services × 10 endpoints (the nft process's share is not in it).
func BenchmarkFullSync(b *testing.B) {
	p, nft := benchProxier(b, 1000, 10)
	for b.Loop() {
		p.mu.Lock()
		p.needFull = true
		p.mu.Unlock()
		if err := p.Sync(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(strings.Count(nft.last, "\n")), "nft-lines")
}
