package dns_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/dns"
)

// upstream is a DNS server on loopback standing for the host's
// resolvers: example.com has an address, big.example.com a TXT set too
// large for 512 bytes (truncated over UDP, as a real server does),
// slow.example.com answers after a second, every other name NXDOMAIN.
func upstream(t *testing.T) string {
	t.Helper()
	addr, err := upstreamOn(t, "127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func upstreamOn(t *testing.T, host string, port int) (string, error) {
	t.Helper()
	h := mdns.HandlerFunc(func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := new(mdns.Msg)
		m.SetReply(r)
		m.RecursionAvailable = true
		switch q := r.Question[0]; strings.ToLower(q.Name) {
		case "example.com.":
			if q.Qtype == mdns.TypeA {
				m.Answer = append(m.Answer, rr(t, "example.com. 300 IN A 192.0.2.1"))
			}
		case "big.example.com.":
			for i := range 30 {
				m.Answer = append(m.Answer, rr(t, fmt.Sprintf("big.example.com. 300 IN TXT \"%02d %s\"", i, strings.Repeat("x", 60))))
			}
		case "slow.example.com.":
			time.Sleep(time.Second)
			m.Answer = append(m.Answer, rr(t, "slow.example.com. 300 IN A 192.0.2.2"))
		case "9.9.9.10.in-addr.arpa.":
			m.Answer = append(m.Answer, rr(t, "9.9.9.10.in-addr.arpa. 300 IN PTR upstream.example.com."))
		default:
			m.Rcode = mdns.RcodeNameError
		}
		if _, udp := w.LocalAddr().(*net.UDPAddr); udp {
			size := mdns.MinMsgSize
			if o := r.IsEdns0(); o != nil {
				size = int(o.UDPSize())
			}
			m.Truncate(size)
		}
		_ = w.WriteMsg(m)
	})
	pc, ln, err := dns.Listen(host, port)
	if err != nil {
		return "", err
	}
	for _, srv := range []*mdns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}} {
		go func() { _ = srv.ActivateAndServe() }()
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return pc.LocalAddr().String(), nil
}

func rr(t testing.TB, s string) mdns.RR {
	t.Helper()
	r, err := mdns.NewRR(s)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return r
}

// startDNS runs a DNS server of ts on loopback; it returns its address.
func startDNS(t *testing.T, client kubernetes.Interface, cfg dns.Config) string {
	t.Helper()
	cfg.Client = client
	s, err := dns.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pc, ln, err := dns.Listen("127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, pc, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dns server: %v", err)
		}
	})
	return pc.LocalAddr().String()
}

func query(t testing.TB, addr, name string, qtype uint16, tcp bool) *mdns.Msg {
	t.Helper()
	r, err := exchange(addr, name, qtype, tcp)
	if err != nil {
		t.Fatalf("%s %s: %v", name, mdns.TypeToString[qtype], err)
	}
	return r
}

func exchange(addr, name string, qtype uint16, tcp bool) (*mdns.Msg, error) {
	c := &mdns.Client{Timeout: 3 * time.Second}
	if tcp {
		c.Net = "tcp"
	}
	m := new(mdns.Msg)
	m.SetQuestion(name, qtype)
	r, _, err := c.Exchange(m, addr)
	return r, err
}

func ptr[T any](v T) *T { return &v }

// fixture is the cluster the table asks about.
type fixture struct {
	webIP, webIP2 string // ClusterIPs of default/web and default/web2
}

func setup(t *testing.T, c kubernetes.Interface) fixture {
	t.Helper()
	ctx := context.Background()
	create := func(svc *corev1.Service) *corev1.Service {
		t.Helper()
		if svc.Namespace == "" {
			svc.Namespace = "default"
		}
		out, err := c.CoreV1().Services(svc.Namespace).Create(ctx, svc, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	web := create(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{
		Ports: []corev1.ServicePort{
			{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)},
			{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
		}}})
	web2 := create(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web2"}, Spec: corev1.ServiceSpec{
		Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}}}})
	create(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone,
		Ports: []corev1.ServicePort{{Name: "pg", Port: 5432, Protocol: corev1.ProtocolTCP}}}})
	create(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "empty"}, Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone,
		Ports: []corev1.ServicePort{{Name: "pg", Port: 5432, Protocol: corev1.ProtocolTCP}}}})
	create(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "many"}, Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone,
		Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}}})
	create(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "ext"}, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeExternalName, ExternalName: "example.com"}})
	create(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "alias"}, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeExternalName, ExternalName: "web.default.svc.cluster.local"}})

	slice := func(name, svc string, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) {
		t.Helper()
		s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
			AddressType: discoveryv1.AddressTypeIPv4, Endpoints: eps, Ports: ports}
		if _, err := c.DiscoveryV1().EndpointSlices("default").Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pg := []discoveryv1.EndpointPort{{Name: ptr("pg"), Port: ptr(int32(5432)), Protocol: ptr(corev1.ProtocolTCP)}}
	slice("db-1", "db", pg,
		discoveryv1.Endpoint{Addresses: []string{"10.244.1.5"}, Hostname: ptr("db-0"), Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}},
		discoveryv1.Endpoint{Addresses: []string{"10.244.1.6"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}},
		discoveryv1.Endpoint{Addresses: []string{"10.244.1.7"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(false)}})
	slice("web-1", "web", []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(corev1.ProtocolTCP)}},
		discoveryv1.Endpoint{Addresses: []string{"10.244.2.9"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}})
	var many []discoveryv1.Endpoint
	for i := range 60 {
		many = append(many, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.244.3.%d", i+1)}})
	}
	slice("many-1", "many", []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(80)), Protocol: ptr(corev1.ProtocolTCP)}}, many...)
	return fixture{webIP: web.Spec.ClusterIP, webIP2: web2.Spec.ClusterIP}
}

const soa = "cluster.local.\t5\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local."

// TestQueries asks a running server's DNS about every kind of record
// and compares with what CoreDNS's kubernetes plugin answers.
func TestQueries(t *testing.T) {
	ts := testserver.Start(t, "")
	f := setup(t, ts.Client)
	// The upstream is found in a resolv.conf, as the host's would be:
	// on port 53 of a loopback address of its own.
	cfg := dns.Config{ResolvConf: filepath.Join(t.TempDir(), "resolv.conf")}
	if err := os.WriteFile(cfg.ResolvConf, []byte("search example.org\nnameserver 127.53.0.1\noptions ndots:2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := upstreamOn(t, "127.53.0.1", 53); err != nil {
		t.Logf("upstream on 127.53.0.1:53: %v; naming it directly instead", err)
		cfg = dns.Config{Upstreams: []string{upstream(t)}}
	}
	addr := startDNS(t, ts.Client, cfg)
	rev := func(ip string) string { n, _ := mdns.ReverseAddr(ip); return n }

	type want struct {
		rcode  int
		answer []string // RR strings; the SOA by its prefix
		extra  []string
		// ns: the SOA in the authority section (NXDOMAIN, NODATA)
		ns bool
		// notAuth: a forwarded or error answer
		notAuth bool
		// soa is the authority's SOA when not the cluster domain's
		soa string
	}
	tests := []struct {
		name  string
		qtype uint16
		want  want
	}{
		// ClusterIP Services.
		{"web.default.svc.cluster.local.", mdns.TypeA, want{answer: []string{"web.default.svc.cluster.local.\t5\tIN\tA\t" + f.webIP}}},
		{"WEB.Default.svc.Cluster.Local.", mdns.TypeA, want{answer: []string{"WEB.Default.svc.Cluster.Local.\t5\tIN\tA\t" + f.webIP}}},
		{"web.default.svc.cluster.local.", mdns.TypeAAAA, want{ns: true}},
		{"web.default.svc.cluster.local.", mdns.TypeMX, want{ns: true}},
		{"web.default.svc.cluster.local.", mdns.TypeTXT, want{ns: true}},
		{"web.default.svc.cluster.local.", mdns.TypeSOA, want{ns: true}},
		{"web.default.svc.cluster.local.", mdns.TypeCNAME, want{ns: true}},
		{"kubernetes.default.svc.cluster.local.", mdns.TypeA, want{answer: []string{"kubernetes.default.svc.cluster.local.\t5\tIN\tA\t10.0.0.1"}}},
		// SRV for named ports, and for every port of the Service.
		{"_http._tcp.web.default.svc.cluster.local.", mdns.TypeSRV, want{
			answer: []string{"_http._tcp.web.default.svc.cluster.local.\t5\tIN\tSRV\t0 100 80 web.default.svc.cluster.local."},
			extra:  []string{"web.default.svc.cluster.local.\t5\tIN\tA\t" + f.webIP}}},
		{"_dns._udp.web.default.svc.cluster.local.", mdns.TypeSRV, want{
			answer: []string{"_dns._udp.web.default.svc.cluster.local.\t5\tIN\tSRV\t0 100 53 web.default.svc.cluster.local."},
			extra:  []string{"web.default.svc.cluster.local.\t5\tIN\tA\t" + f.webIP}}},
		{"web.default.svc.cluster.local.", mdns.TypeSRV, want{
			answer: []string{"web.default.svc.cluster.local.\t5\tIN\tSRV\t0 50 80 web.default.svc.cluster.local.",
				"web.default.svc.cluster.local.\t5\tIN\tSRV\t0 50 53 web.default.svc.cluster.local."},
			extra: []string{"web.default.svc.cluster.local.\t5\tIN\tA\t" + f.webIP}}},
		{"_http._udp.web.default.svc.cluster.local.", mdns.TypeSRV, want{rcode: mdns.RcodeNameError, ns: true}},
		{"_nope._tcp.web.default.svc.cluster.local.", mdns.TypeSRV, want{rcode: mdns.RcodeNameError, ns: true}},
		{"_http._tcp.web.default.svc.cluster.local.", mdns.TypeA, want{answer: []string{"_http._tcp.web.default.svc.cluster.local.\t5\tIN\tA\t" + f.webIP}}},
		// An endpoint of a ClusterIP Service by its dashed address.
		{"10-244-2-9.web.default.svc.cluster.local.", mdns.TypeA, want{answer: []string{"10-244-2-9.web.default.svc.cluster.local.\t5\tIN\tA\t10.244.2.9"}}},
		{"10-244-2-8.web.default.svc.cluster.local.", mdns.TypeA, want{rcode: mdns.RcodeNameError, ns: true}},
		// Headless: one record per ready endpoint; hostname records.
		{"db.default.svc.cluster.local.", mdns.TypeA, want{answer: []string{
			"db.default.svc.cluster.local.\t5\tIN\tA\t10.244.1.5", "db.default.svc.cluster.local.\t5\tIN\tA\t10.244.1.6"}}},
		{"db-0.db.default.svc.cluster.local.", mdns.TypeA, want{answer: []string{"db-0.db.default.svc.cluster.local.\t5\tIN\tA\t10.244.1.5"}}},
		{"10-244-1-6.db.default.svc.cluster.local.", mdns.TypeA, want{answer: []string{"10-244-1-6.db.default.svc.cluster.local.\t5\tIN\tA\t10.244.1.6"}}},
		{"10-244-1-7.db.default.svc.cluster.local.", mdns.TypeA, want{rcode: mdns.RcodeNameError, ns: true}},
		{"_pg._tcp.db.default.svc.cluster.local.", mdns.TypeSRV, want{
			answer: []string{"_pg._tcp.db.default.svc.cluster.local.\t5\tIN\tSRV\t0 50 5432 db-0.db.default.svc.cluster.local.",
				"_pg._tcp.db.default.svc.cluster.local.\t5\tIN\tSRV\t0 50 5432 10-244-1-6.db.default.svc.cluster.local."},
			extra: []string{"db-0.db.default.svc.cluster.local.\t5\tIN\tA\t10.244.1.5", "10-244-1-6.db.default.svc.cluster.local.\t5\tIN\tA\t10.244.1.6"}}},
		{"db.default.svc.cluster.local.", mdns.TypeAAAA, want{ns: true}},
		// A headless Service without ready endpoints does not exist.
		{"empty.default.svc.cluster.local.", mdns.TypeA, want{rcode: mdns.RcodeNameError, ns: true}},
		// ExternalName: a CNAME, followed (upstream, or in the zone).
		{"ext.default.svc.cluster.local.", mdns.TypeCNAME, want{answer: []string{"ext.default.svc.cluster.local.\t5\tIN\tCNAME\texample.com."}}},
		{"ext.default.svc.cluster.local.", mdns.TypeA, want{answer: []string{"ext.default.svc.cluster.local.\t5\tIN\tCNAME\texample.com.", "example.com.\t300\tIN\tA\t192.0.2.1"}}},
		{"alias.default.svc.cluster.local.", mdns.TypeA, want{answer: []string{"alias.default.svc.cluster.local.\t5\tIN\tCNAME\tweb.default.svc.cluster.local.", "web.default.svc.cluster.local.\t5\tIN\tA\t" + f.webIP}}},
		{"_http._tcp.ext.default.svc.cluster.local.", mdns.TypeSRV, want{rcode: mdns.RcodeNameError, ns: true}},
		{"ext.default.svc.cluster.local.", mdns.TypeSRV, want{ns: true}}, // CoreDNS has no SRV for ExternalName either
		// Pods ("pods insecure"): the address in the name, if the namespace exists.
		{"10-244-1-99.default.pod.cluster.local.", mdns.TypeA, want{answer: []string{"10-244-1-99.default.pod.cluster.local.\t5\tIN\tA\t10.244.1.99"}}},
		{"10-244-1-99.default.pod.cluster.local.", mdns.TypeAAAA, want{ns: true}},
		{"fd00--1.default.pod.cluster.local.", mdns.TypeAAAA, want{answer: []string{"fd00--1.default.pod.cluster.local.\t5\tIN\tAAAA\tfd00::1"}}},
		{"10-244-1-99.nons.pod.cluster.local.", mdns.TypeA, want{rcode: mdns.RcodeNameError, ns: true}},
		{"not-an-ip.default.pod.cluster.local.", mdns.TypeA, want{rcode: mdns.RcodeNameError, ns: true}},
		{"default.pod.cluster.local.", mdns.TypeA, want{ns: true}},
		{"10-244-1-99.default.pod.cluster.local.", mdns.TypeSRV, want{
			answer: []string{"10-244-1-99.default.pod.cluster.local.\t5\tIN\tSRV\t0 100 0 10-244-1-99.default.pod.cluster.local."},
			extra:  []string{"10-244-1-99.default.pod.cluster.local.\t5\tIN\tA\t10.244.1.99"}}},
		// PTR: ClusterIPs, endpoints; other addresses go upstream.
		{rev(f.webIP), mdns.TypePTR, want{answer: []string{rev(f.webIP) + "\t5\tIN\tPTR\tweb.default.svc.cluster.local."}}},
		{rev("10.244.1.5"), mdns.TypePTR, want{answer: []string{rev("10.244.1.5") + "\t5\tIN\tPTR\tdb-0.db.default.svc.cluster.local."}}},
		{rev("10.244.1.6"), mdns.TypePTR, want{answer: []string{rev("10.244.1.6") + "\t5\tIN\tPTR\t10-244-1-6.db.default.svc.cluster.local."}}},
		{rev("10.9.9.9"), mdns.TypePTR, want{answer: []string{rev("10.9.9.9") + "\t300\tIN\tPTR\tupstream.example.com."}, notAuth: true}},
		{rev("10.244.1.7"), mdns.TypePTR, want{rcode: mdns.RcodeNameError, notAuth: true}},
		// The reverse zones are held as CoreDNS holds them: SOA there.
		{rev("10.244.1.7"), mdns.TypeSOA, want{ns: true, soa: "in-addr.arpa.\t5\tIN\tSOA\tns.dns.in-addr.arpa. hostmaster.in-addr.arpa."}},
		{"in-addr.arpa.", mdns.TypeSOA, want{answer: []string{"in-addr.arpa.\t5\tIN\tSOA\tns.dns.in-addr.arpa. hostmaster.in-addr.arpa."}}},
		{"in-addr.arpa.", mdns.TypeA, want{ns: true, soa: "in-addr.arpa.\t5\tIN\tSOA\tns.dns.in-addr.arpa. hostmaster.in-addr.arpa."}},
		{"ns.dns.cluster.local.", mdns.TypePTR, want{rcode: mdns.RcodeNameError, ns: true}},
		// NXDOMAIN vs NODATA.
		{"nope.default.svc.cluster.local.", mdns.TypeA, want{rcode: mdns.RcodeNameError, ns: true}},
		{"nope.default.svc.cluster.local.", mdns.TypeSOA, want{ns: true}}, // CoreDNS: SOA below the apex is NODATA
		{"nope.default.svc.cluster.local.", mdns.TypeMX, want{rcode: mdns.RcodeNameError, ns: true}},
		{"default.svc.cluster.local.", mdns.TypeA, want{ns: true}},
		{"nons.svc.cluster.local.", mdns.TypeA, want{rcode: mdns.RcodeNameError, ns: true}},
		{"web.nons.svc.cluster.local.", mdns.TypeA, want{rcode: mdns.RcodeNameError, ns: true}},
		{"svc.cluster.local.", mdns.TypeA, want{ns: true}},
		{"cluster.local.", mdns.TypeA, want{ns: true}},
		{"foo.cluster.local.", mdns.TypeA, want{rcode: mdns.RcodeNameError, ns: true}},
		{"a.b.c.web.default.svc.cluster.local.", mdns.TypeA, want{rcode: mdns.RcodeNameError, ns: true}},
		{"cluster.local.", mdns.TypeSOA, want{answer: []string{soa}}},
		{"dns-version.cluster.local.", mdns.TypeTXT, want{answer: []string{"dns-version.cluster.local.\t28800\tIN\tTXT\t\"1.1.0\""}}},
		{"cluster.local.", mdns.TypeAXFR, want{rcode: mdns.RcodeRefused, notAuth: true}},
		// Forwarded.
		{"example.com.", mdns.TypeA, want{answer: []string{"example.com.\t300\tIN\tA\t192.0.2.1"}, notAuth: true}},
		{"nope.example.com.", mdns.TypeA, want{rcode: mdns.RcodeNameError, notAuth: true}},
	}
	for _, tt := range tests {
		t.Run(mdns.TypeToString[tt.qtype]+" "+tt.name, func(t *testing.T) {
			for _, tcp := range []bool{false, true} {
				r := query(t, addr, tt.name, tt.qtype, tcp)
				if r.Rcode != tt.want.rcode {
					t.Errorf("tcp=%v rcode %s, want %s\n%v", tcp, mdns.RcodeToString[r.Rcode], mdns.RcodeToString[tt.want.rcode], r)
				}
				if got := strs(r.Answer); !sameSet(got, tt.want.answer) {
					t.Errorf("tcp=%v answer\n%s\nwant\n%s", tcp, strings.Join(got, "\n"), strings.Join(tt.want.answer, "\n"))
				}
				if tt.want.extra != nil {
					if got := strs(r.Extra); !sameSet(got, tt.want.extra) {
						t.Errorf("tcp=%v extra\n%s\nwant\n%s", tcp, strings.Join(got, "\n"), strings.Join(tt.want.extra, "\n"))
					}
				}
				wantSOA := soa
				if tt.want.soa != "" {
					wantSOA = tt.want.soa
				}
				if gotNS := len(r.Ns) == 1 && strings.HasPrefix(r.Ns[0].String(), wantSOA); gotNS != tt.want.ns {
					t.Errorf("tcp=%v authority %v, want the SOA: %v", tcp, r.Ns, tt.want.ns)
				}
				if r.Authoritative == tt.want.notAuth || (!tt.want.notAuth && r.RecursionAvailable) || !r.RecursionDesired || !r.Response {
					t.Errorf("tcp=%v flags: aa=%v ra=%v rd=%v qr=%v", tcp, r.Authoritative, r.RecursionAvailable, r.RecursionDesired, r.Response)
				}
			}
		})
	}

	// A headless Service of 60 endpoints does not fit in 512 bytes: TC
	// over UDP, everything over TCP; and with EDNS0's larger buffer.
	t.Run("truncation", func(t *testing.T) {
		r := query(t, addr, "many.default.svc.cluster.local.", mdns.TypeA, false)
		if !r.Truncated || len(r.Answer) >= 60 {
			t.Errorf("UDP: tc=%v with %d answers, want truncated", r.Truncated, len(r.Answer))
		}
		r = query(t, addr, "many.default.svc.cluster.local.", mdns.TypeA, true)
		if r.Truncated || len(r.Answer) != 60 {
			t.Errorf("TCP: tc=%v with %d answers, want 60", r.Truncated, len(r.Answer))
		}
		m := new(mdns.Msg)
		m.SetQuestion("many.default.svc.cluster.local.", mdns.TypeA)
		m.SetEdns0(4096, false)
		r, _, err := (&mdns.Client{}).Exchange(m, addr)
		if err != nil || r.Truncated || len(r.Answer) != 60 || r.IsEdns0() == nil {
			t.Errorf("UDP with EDNS0 4096: %v; %v", err, r)
		}
		// The default client retries over TCP (as a resolver would).
		for _, name := range []string{"many.default.svc.cluster.local.", "big.example.com."} {
			qtype := mdns.TypeA
			if strings.HasSuffix(name, "example.com.") {
				qtype = mdns.TypeTXT
			}
			r := query(t, addr, name, qtype, false)
			if !r.Truncated {
				t.Errorf("%s over UDP not truncated (%d answers)", name, len(r.Answer))
			}
			r = query(t, addr, name, qtype, true)
			if r.Truncated || len(r.Answer) < 30 {
				t.Errorf("%s over TCP: tc=%v, %d answers", name, r.Truncated, len(r.Answer))
			}
		}
	})
}

func strs(rrs []mdns.RR) []string {
	out := make([]string, len(rrs))
	for i, r := range rrs {
		out[i] = r.String()
	}
	return out
}

// sameSet compares answers without regard to order; an expected SOA is
// matched by its prefix (its serial is a time).
func sameSet(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	got, want = slices.Clone(got), slices.Clone(want)
	slices.Sort(got)
	slices.Sort(want)
	for i := range got {
		if got[i] != want[i] && !strings.HasPrefix(got[i], want[i]) {
			return false
		}
	}
	return true
}

// TestUpdates: a new Service, a new endpoint and a deleted Service are
// answered within a second.
func TestUpdates(t *testing.T) {
	ts := testserver.Start(t, "")
	ctx := context.Background()
	addr := startDNS(t, ts.Client, dns.Config{Upstreams: []string{}})
	within := func(what, name string, ok func(*mdns.Msg) bool) {
		t.Helper()
		start := time.Now()
		for {
			r := query(t, addr, name, mdns.TypeA, false)
			if ok(r) {
				t.Logf("%s: %v", what, time.Since(start))
				return
			}
			if time.Since(start) > time.Second {
				t.Fatalf("%s: not answered within a second: %v", what, r)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "late", Namespace: "default"}, Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone,
		Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}}}}
	if _, err := ts.Client.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "late-1", Labels: map[string]string{discoveryv1.LabelServiceName: "late"}},
		AddressType: discoveryv1.AddressTypeIPv4, Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.244.9.1"}}}}
	s, err := ts.Client.DiscoveryV1().EndpointSlices("default").Create(ctx, s, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	within("new Service and EndpointSlice", "late.default.svc.cluster.local.", func(r *mdns.Msg) bool { return len(r.Answer) == 1 })
	s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{"10.244.9.2"}})
	if _, err := ts.Client.DiscoveryV1().EndpointSlices("default").Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	within("endpoint added", "late.default.svc.cluster.local.", func(r *mdns.Msg) bool { return len(r.Answer) == 2 })
	if err := ts.Client.CoreV1().Services("default").Delete(ctx, "late", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	within("Service deleted", "late.default.svc.cluster.local.", func(r *mdns.Msg) bool { return r.Rcode == mdns.RcodeNameError })
}

// TestFlood: many goroutines asking names that are forwarded to a slow
// upstream use up the bound on forwards and are refused beyond it;
// cluster names and the forwards in flight are answered all along.
func TestFlood(t *testing.T) {
	ts := testserver.Start(t, "")
	up := upstream(t)
	addr := startDNS(t, ts.Client, dns.Config{Upstreams: []string{up}, MaxForwards: 16})
	var refused, answered, failed atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 64 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := exchange(addr, "slow.example.com.", mdns.TypeA, false)
				switch {
				case err != nil:
					failed.Add(1)
				case r.Rcode == mdns.RcodeRefused:
					refused.Add(1)
				case len(r.Answer) == 1:
					answered.Add(1)
				}
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	for i := range 200 {
		r, err := exchange(addr, "kubernetes.default.svc.cluster.local.", mdns.TypeA, i%2 == 0)
		if err != nil || len(r.Answer) != 1 {
			t.Fatalf("cluster name during the flood: %v %v", err, r)
		}
	}
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("forwards answered %d, refused %d, failed %d", answered.Load(), refused.Load(), failed.Load())
	if refused.Load() == 0 || answered.Load() == 0 {
		t.Errorf("want some forwards refused past the bound and some answered")
	}
}
