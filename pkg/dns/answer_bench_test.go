package dns

import (
	"context"
	"testing"

	mdns "github.com/miekg/dns"
)

// BenchmarkAnswer: the handler alone (no sockets) on the names of the
// load mix (pkg/bench/dnsbench): its cost and allocations per query.
func BenchmarkAnswer(b *testing.B) {
	s := fuzzServer(b)
	var qs []*mdns.Msg
	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"web.default.svc.cluster.local.", mdns.TypeA},
		{"web.default.svc.cluster.local.", mdns.TypeAAAA},
		{"_http._tcp.web.default.svc.cluster.local.", mdns.TypeSRV},
		{"20.0.0.10.in-addr.arpa.", mdns.TypePTR},
		{"db.default.svc.cluster.local.", mdns.TypeA},
		{"example.com.default.svc.cluster.local.", mdns.TypeA},
	} {
		m := new(mdns.Msg)
		m.SetQuestion(q.name, q.qtype)
		qs = append(qs, m)
	}
	b.ReportAllocs()
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		m := s.Answer(ctx, qs[i%len(qs)], false)
		if _, err := m.Pack(); err != nil {
			b.Fatal(err)
		}
	}
}
