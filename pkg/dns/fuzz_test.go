package dns

import (
	"context"
	"log/slog"
	"testing"

	mdns "github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// fuzzServer answers from stores holding a namespace, a ClusterIP, a
// headless and an ExternalName Service and an EndpointSlice; it has no
// upstream (forwarded names get SERVFAIL at once).
func fuzzServer(tb testing.TB) *Server {
	idx := func(extra cache.Indexers) cache.Indexer {
		ix := cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}
		for k, v := range extra {
			ix[k] = v
		}
		return cache.NewIndexer(cache.MetaNamespaceKeyFunc, ix)
	}
	svcs, slices, nss := idx(serviceIndexers()), idx(sliceIndexers()), idx(nil)
	add := func(store cache.Indexer, obj any) {
		if err := store.Add(obj); err != nil {
			tb.Fatal(err)
		}
	}
	add(nss, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}})
	add(svcs, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}, Spec: corev1.ServiceSpec{
		ClusterIP: "10.0.0.20", ClusterIPs: []string{"10.0.0.20", "fd00::20"},
		Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}}})
	add(svcs, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default"}, Spec: corev1.ServiceSpec{ClusterIP: "None"}})
	add(svcs, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "ext", Namespace: "default"}, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeExternalName, ExternalName: "db.default.svc.cluster.local"}})
	add(svcs, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "loop", Namespace: "default"}, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeExternalName, ExternalName: "loop.default.svc.cluster.local"}})
	name, port, proto, host := "pg", int32(5432), corev1.ProtocolTCP, "db-0"
	add(slices, &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "db-1", Namespace: "default",
		Labels: map[string]string{discoveryv1.LabelServiceName: "db"}}, AddressType: discoveryv1.AddressTypeIPv4,
		Ports:     []discoveryv1.EndpointPort{{Name: &name, Port: &port, Protocol: &proto}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.244.0.5"}, Hostname: &host}, {Addresses: []string{"10.244.0.6"}}}})
	cfg := DefaultConfig()
	cfg.Upstreams = []string{}
	cfg.Logger = slog.New(slog.DiscardHandler)
	return newFromStores(cfg, svcs, slices, nss)
}

// FuzzAnswer: any packet the DNS library accepts gets an answer that
// packs and, over UDP, fits the client's buffer; nothing panics.
func FuzzAnswer(f *testing.F) {
	s := fuzzServer(f)
	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"web.default.svc.cluster.local.", mdns.TypeA},
		{"WEB.default.svc.cluster.local.", mdns.TypeAAAA},
		{"_http._tcp.web.default.svc.cluster.local.", mdns.TypeSRV},
		{"db.default.svc.cluster.local.", mdns.TypeSRV},
		{"db-0.db.default.svc.cluster.local.", mdns.TypeA},
		{"ext.default.svc.cluster.local.", mdns.TypeA},
		{"loop.default.svc.cluster.local.", mdns.TypeA},
		{"10-244-0-5.default.pod.cluster.local.", mdns.TypeA},
		{"fd00--1.default.pod.cluster.local.", mdns.TypeAAAA},
		{"20.0.0.10.in-addr.arpa.", mdns.TypePTR},
		{"0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", mdns.TypePTR},
		{"cluster.local.", mdns.TypeNS},
		{"cluster.local.", mdns.TypeSOA},
		{"dns-version.cluster.local.", mdns.TypeTXT},
		{"a.b.c.d.e.cluster.local.", mdns.TypeANY},
		{"example.com.", mdns.TypeA},
	} {
		m := new(mdns.Msg)
		m.SetQuestion(q.name, q.qtype)
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		m.SetEdns0(1232, true)
		if b, err = m.Pack(); err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1}) // a compression loop
	f.Fuzz(func(t *testing.T, b []byte) {
		r := new(mdns.Msg)
		if err := r.Unpack(b); err != nil {
			return // the library answers FORMERR itself
		}
		for _, tcp := range []bool{false, true} {
			m := s.Answer(context.Background(), r, tcp)
			out, err := m.Pack()
			if err != nil {
				t.Fatalf("answer does not pack: %v\n%v", err, m)
			}
			size := mdns.MinMsgSize
			if o := r.IsEdns0(); o != nil {
				size = max(int(o.UDPSize()), size)
			}
			if !tcp && len(out) > size {
				t.Fatalf("UDP answer of %d bytes for a buffer of %d", len(out), size)
			}
			if m.Id != r.Id {
				t.Fatalf("answer ID %d for query %d", m.Id, r.Id)
			}
		}
	})
}
