package dnsbench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	mdns "github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/pkg/bench"
)

// Config configures a run. Start from DefaultConfig.
type Config struct {
	// Server is the DNS server (host:port).
	Server string `json:"server"`
	// Target names it in the report ("tinykube", "coredns").
	Target string `json:"target"`
	// Namespace holds Services ClusterIP Services (svc-N, port http/80)
	// and Headless headless ones (hl-N, 3 endpoints each), made by Setup.
	Namespace string `json:"namespace"`
	Services  int    `json:"services"`
	Headless  int    `json:"headless"`
	Domain    string `json:"domain"`
	// Concurrency levels (workers), each run for Duration.
	Concurrency []int         `json:"concurrency"`
	Duration    time.Duration `json:"duration"`
	Timeout     time.Duration `json:"timeout"`
	Log         io.Writer     `json:"-"`
}

// DefaultConfig returns the defaults of `tinykube bench dns`.
func DefaultConfig() Config {
	return Config{Server: "127.0.0.1:10053", Target: "dns", Namespace: "dnsbench", Services: 100, Headless: 20,
		Domain: "cluster.local", Concurrency: []int{1, 16, 64}, Duration: 10 * time.Second, Timeout: 2 * time.Second}
}

// Setup creates (or keeps) the namespace, Services and EndpointSlices
// the names are of.
func Setup(ctx context.Context, client kubernetes.Interface, c Config) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: c.Namespace}}
	if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	ports := []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}
	create := func(svc *corev1.Service) error {
		_, err := client.CoreV1().Services(c.Namespace).Create(ctx, svc, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}
	for i := range c.Services {
		if err := create(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("svc-%d", i)}, Spec: corev1.ServiceSpec{Ports: ports}}); err != nil {
			return err
		}
	}
	name, port, proto, ready := "http", int32(80), corev1.ProtocolTCP, true
	for i := range c.Headless {
		svc := fmt.Sprintf("hl-%d", i)
		if err := create(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: svc}, Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Ports: ports}}); err != nil {
			return err
		}
		var eps []discoveryv1.Endpoint
		for j := range 3 {
			host := fmt.Sprintf("%s-%d", svc, j)
			eps = append(eps, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.250.%d.%d", i%250, j+1)}, Hostname: &host,
				Conditions: discoveryv1.EndpointConditions{Ready: &ready}})
		}
		s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: svc, Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
			AddressType: discoveryv1.AddressTypeIPv4, Endpoints: eps,
			Ports: []discoveryv1.EndpointPort{{Name: &name, Port: &port, Protocol: &proto}}}
		if _, err := client.DiscoveryV1().EndpointSlices(c.Namespace).Create(ctx, s, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}

// query is one question of the mix and the rcode it must get.
type query struct {
	name  string
	qtype uint16
	rcode int
}

// Mix is the names asked, in the order workers cycle through them (20
// questions per ClusterIP Service: 8 A, 2 AAAA (NODATA), 2 SRV, 2 PTR,
// 3 headless A, 3 NXDOMAIN search-path misses). clusterIPs are the
// Services' addresses, for PTR.
func Mix(c Config, clusterIPs map[string]string) []query {
	var out []query
	zone := c.Domain + "."
	for i := range c.Services {
		svc := fmt.Sprintf("svc-%d.%s.svc.%s", i, c.Namespace, zone)
		hl := fmt.Sprintf("hl-%d.%s.svc.%s", i%max(c.Headless, 1), c.Namespace, zone)
		for range 8 {
			out = append(out, query{svc, mdns.TypeA, mdns.RcodeSuccess})
		}
		out = append(out, query{svc, mdns.TypeAAAA, mdns.RcodeSuccess}, query{svc, mdns.TypeAAAA, mdns.RcodeSuccess},
			query{"_http._tcp." + svc, mdns.TypeSRV, mdns.RcodeSuccess}, query{"_http._tcp." + svc, mdns.TypeSRV, mdns.RcodeSuccess})
		if ip, ok := clusterIPs[fmt.Sprintf("svc-%d", i)]; ok {
			rev, _ := mdns.ReverseAddr(ip)
			out = append(out, query{rev, mdns.TypePTR, mdns.RcodeSuccess}, query{rev, mdns.TypePTR, mdns.RcodeSuccess})
		}
		if c.Headless > 0 {
			out = append(out, query{hl, mdns.TypeA, mdns.RcodeSuccess}, query{hl, mdns.TypeA, mdns.RcodeSuccess}, query{hl, mdns.TypeA, mdns.RcodeSuccess})
		}
		// What a pod's resolver asks first for "example.com" (ndots:5).
		out = append(out, query{fmt.Sprintf("example-%d.com.%s.svc.%s", i, c.Namespace, zone), mdns.TypeA, mdns.RcodeNameError},
			query{fmt.Sprintf("example-%d.com.svc.%s", i, zone), mdns.TypeA, mdns.RcodeNameError},
			query{fmt.Sprintf("example-%d.com.%s", i, zone), mdns.TypeA, mdns.RcodeNameError})
	}
	return out
}

// Run sends the mix at each concurrency level for Duration.
func Run(ctx context.Context, client kubernetes.Interface, c Config) (*bench.Report, error) {
	start := time.Now()
	report := &bench.Report{Benchmark: "dns", Target: c.Target + " " + c.Server, Started: start, Machine: bench.CurrentMachine(), Settings: c}
	ips := map[string]string{}
	if client != nil {
		list, err := client.CoreV1().Services(c.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, s := range list.Items {
			ips[s.Name] = s.Spec.ClusterIP
		}
	}
	mix := Mix(c, ips)
	packed := make([][]byte, len(mix))
	for i, q := range mix {
		m := new(mdns.Msg)
		m.SetQuestion(q.name, q.qtype)
		b, err := m.Pack()
		if err != nil {
			return nil, err
		}
		packed[i] = b
	}
	// Every answer is checked once, unpacked, before the timed phases.
	for _, q := range mix {
		m := new(mdns.Msg)
		m.SetQuestion(q.name, q.qtype)
		r, _, err := (&mdns.Client{Timeout: c.Timeout}).ExchangeContext(ctx, m, c.Server)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", q.name, mdns.TypeToString[q.qtype], err)
		}
		if r.Rcode != q.rcode || (q.rcode == mdns.RcodeSuccess && q.qtype != mdns.TypeAAAA && len(r.Answer) == 0) {
			return nil, fmt.Errorf("%s %s: %s with %d answers, want %s", q.name, mdns.TypeToString[q.qtype], mdns.RcodeToString[r.Rcode], len(r.Answer), mdns.RcodeToString[q.rcode])
		}
	}
	for _, n := range c.Concurrency {
		conns := make([]*net.UDPConn, n)
		bufs := make([][]byte, n)
		qbufs := make([][]byte, n)
		addr, err := netip.ParseAddrPort(c.Server)
		if err != nil {
			return nil, err
		}
		for w := range conns {
			conns[w], err = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(addr))
			if err != nil {
				return nil, err
			}
			bufs[w], qbufs[w] = make([]byte, 4096), make([]byte, 512)
		}
		res := bench.Run(ctx, bench.Phase{Name: "udp-mix", Concurrency: n, Duration: c.Duration}, func(ctx context.Context, w, i int) error {
			q := packed[(i+w*7919)%len(packed)]
			b := qbufs[w][:len(q)]
			copy(b, q)
			id := uint16(i)
			binary.BigEndian.PutUint16(b, id)
			conn := conns[w]
			if _, err := conn.Write(b); err != nil {
				return err
			}
			_ = conn.SetReadDeadline(time.Now().Add(c.Timeout))
			for {
				k, err := conn.Read(bufs[w])
				if err != nil {
					return err
				}
				if k >= 12 && binary.BigEndian.Uint16(bufs[w]) == id {
					if rc := int(bufs[w][3] & 0xf); rc != mix[(i+w*7919)%len(packed)].rcode {
						return fmt.Errorf("rcode %s", mdns.RcodeToString[rc])
					}
					return nil
				}
				// a late answer to a query that timed out: read on
			}
		})
		for _, conn := range conns {
			conn.Close()
		}
		report.Phases = append(report.Phases, res)
		if c.Log != nil {
			fmt.Fprintf(c.Log, "%s c=%d: %.0f q/s p50 %.3f ms p99 %.3f ms errors %d\n", c.Target, n, res.OpsPerSec, res.P50, res.P99, res.Errors)
		}
		if ctx.Err() != nil {
			break
		}
	}
	report.Seconds = time.Since(start).Seconds()
	if len(report.Phases) == 0 {
		return report, errors.New("no phase ran")
	}
	return report, nil
}
