package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/knftables"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/server"
)

// lab is three network namespaces made for a test: node (where the
// proxy's rules go, routing between the others), client (10.99.1.2, off
// the node: its ClusterIP traffic is masqueraded) and pods (the
// backends 10.99.2.2-.5 on one veth, the node's "pod network"
// 10.99.2.0/24). Each backend answers a TCP connection with "IP
// peer", the address it was reached at and the address it saw.
type lab struct {
	id                 int
	node, client, pods string
	p                  *Proxier
	logs               *strings.Builder
	mu                 sync.Mutex
}

const (
	nodeName   = "self"
	clientAddr = "10.99.1.2"
	nodeAddr   = "10.99.1.1"
	podGateway = "10.99.2.1"
)

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func newLab(t *testing.T) *lab {
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces, nftables)")
	}
	for _, bin := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("no %s", bin)
		}
	}
	l := &lab{id: rand.IntN(100000), logs: &strings.Builder{}}
	l.node, l.client, l.pods = fmt.Sprintf("tkp%d-n", l.id), fmt.Sprintf("tkp%d-c", l.id), fmt.Sprintf("tkp%d-p", l.id)
	for _, n := range []string{l.node, l.client, l.pods} {
		run(t, "ip", "netns", "add", n)
		n := n
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", n).Run() })
		run(t, "ip", "-n", n, "link", "set", "lo", "up")
	}
	// Links made inside the node namespace go with it.
	run(t, "ip", "-n", l.node, "link", "add", "toc", "type", "veth", "peer", "name", "eth0", "netns", l.client)
	run(t, "ip", "-n", l.node, "link", "add", "top", "type", "veth", "peer", "name", "eth0", "netns", l.pods)
	run(t, "ip", "-n", l.node, "addr", "add", nodeAddr+"/24", "dev", "toc")
	run(t, "ip", "-n", l.node, "addr", "add", podGateway+"/24", "dev", "top")
	run(t, "ip", "-n", l.client, "addr", "add", clientAddr+"/24", "dev", "eth0")
	for _, a := range []string{"10.99.2.2", "10.99.2.3", "10.99.2.4", "10.99.2.5"} {
		run(t, "ip", "-n", l.pods, "addr", "add", a+"/24", "dev", "eth0")
	}
	for _, args := range [][]string{{l.node, "toc"}, {l.node, "top"}, {l.client, "eth0"}, {l.pods, "eth0"}} {
		run(t, "ip", "-n", args[0], "link", "set", args[1], "up")
	}
	run(t, "ip", "-n", l.client, "route", "add", "default", "via", nodeAddr)
	run(t, "ip", "-n", l.pods, "route", "add", "default", "via", podGateway)
	run(t, "ip", "netns", "exec", l.node, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	// A node has a default route (here: to nowhere on the pods' link);
	// without one
	// traffic to a ClusterIP without endpoints is unroutable before the
	// proxy's forward chain can reject it.
	run(t, "ip", "-n", l.node, "route", "add", "default", "via", "10.99.2.254")

	// The backends: one listener per address and port 8080.
	l.do(t, l.pods, func() {
		for _, a := range []string{"10.99.2.2", "10.99.2.3", "10.99.2.4", "10.99.2.5"} {
			ln, err := net.Listen("tcp", a+":8080")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					fmt.Fprintf(c, "%s %s\n", c.LocalAddr().(*net.TCPAddr).IP, c.RemoteAddr().(*net.TCPAddr).IP)
					c.Close()
				}
			}()
		}
	})

	var nft knftables.Interface
	l.do(t, l.node, func() {
		var err error
		if nft, err = NewNFT(); err != nil {
			t.Skipf("nftables: %v", err)
		}
	})
	logger := slog.New(slog.NewTextHandler(lockedWriter{l}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, err := New(Config{NodeName: nodeName, ClusterCIDR: "10.99.2.0/24", NFT: netnsNFT{nft, l, t}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	l.p = p
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("proxy log:\n%s", l.logs.String())
			out, _ := exec.Command("ip", "netns", "exec", l.node, "nft", "list", "table", "inet", Table).CombinedOutput()
			t.Logf("table:\n%s", out)
		}
	})
	return l
}

type lockedWriter struct{ l *lab }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	return w.l.logs.Write(p)
}

func (l *lab) log() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.logs.String()
}

// do runs f in network namespace name (what f starts, sockets and
// commands, stays there).
func (l *lab) do(t *testing.T, name string, f func()) {
	t.Helper()
	n, err := ns.GetNS("/var/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.Do(func(ns.NetNS) error { f(); return nil }); err != nil {
		t.Fatal(err)
	}
}

// netnsNFT runs the proxy's nft commands in the node namespace.
type netnsNFT struct {
	knftables.Interface
	l *lab
	t *testing.T
}

func (n netnsNFT) Run(ctx context.Context, tx *knftables.Transaction) (err error) {
	n.l.do(n.t, n.l.node, func() { err = n.Interface.Run(ctx, tx) })
	return err
}

func (n netnsNFT) List(ctx context.Context, kind string) (out []string, err error) {
	n.l.do(n.t, n.l.node, func() { out, err = n.Interface.List(ctx, kind) })
	return out, err
}

func (l *lab) sync(t *testing.T) SyncStats {
	t.Helper()
	var st SyncStats
	l.p.cfg.OnSync = func(s SyncStats) { st = s }
	if err := l.p.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// dial connects from namespace from to addr and returns the backend's
// answer ("IP peer"), or the error.
func (l *lab) dial(t *testing.T, from, addr string) (string, error) {
	t.Helper()
	return l.dialFrom(t, from, "", addr)
}

// dialFrom is dial with the local address src.
func (l *lab) dialFrom(t *testing.T, from, src, addr string) (string, error) {
	t.Helper()
	var answer string
	var derr error
	l.do(t, from, func() {
		d := net.Dialer{Timeout: 2 * time.Second}
		if src != "" {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
		}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			derr = err
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			derr = err
			return
		}
		answer = strings.TrimSpace(line)
	})
	return answer, derr
}

// answers dials n times and counts who answered.
func (l *lab) answers(t *testing.T, from, addr string, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		a, err := l.dial(t, from, addr)
		if err != nil {
			t.Fatalf("dial %s from %s: %v", addr, from, err)
		}
		ip, _, _ := strings.Cut(a, " ")
		got[ip]++
	}
	return got
}

func service(name, clusterIP string, port, nodePort int32, tweak ...func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", CreationTimestamp: metav1.Now()},
		Spec: corev1.ServiceSpec{ClusterIP: clusterIP, Type: corev1.ServiceTypeClusterIP,
			Ports: []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: port, TargetPort: intstr.FromInt32(8080)}}},
	}
	if nodePort != 0 {
		s.Spec.Type = corev1.ServiceTypeNodePort
		s.Spec.Ports[0].NodePort = nodePort
	}
	for _, f := range tweak {
		f(s)
	}
	return s
}

type ep struct {
	ip                          string
	ready, serving, terminating bool
	node                        string
}

func slice(svc string, eps ...ep) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: svc + "-abc", Namespace: "default", Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To[int32](8080)}},
	}
	for _, e := range eps {
		node := e.node
		if node == "" {
			node = nodeName
		}
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{e.ip}, NodeName: ptr.To(node),
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(e.ready), Serving: ptr.To(e.serving), Terminating: ptr.To(e.terminating)}})
	}
	return s
}

func ready(ip string) ep { return ep{ip: ip, ready: true, serving: true} }

// TestProxyTraffic programs the rules in a private network namespace and
// sends real connections through them.
func TestProxyTraffic(t *testing.T) {
	l := newLab(t)
	l.p.SetService(service("web", "10.96.0.10", 80, 30080), false)
	l.p.SetEndpointSlice(slice("web", ready("10.99.2.2"), ready("10.99.2.3")), false)
	l.p.SetService(service("empty", "10.96.0.11", 80, 30081), false)
	st := l.sync(t)
	if !st.Full {
		t.Errorf("first sync: %+v, want a full one", st)
	}

	t.Run("clusterIP", func(t *testing.T) {
		got := l.answers(t, l.client, "10.96.0.10:80", 30)
		if got["10.99.2.2"] == 0 || got["10.99.2.3"] == 0 || len(got) != 2 {
			t.Errorf("answers %v, want both endpoints", got)
		}
		// An off-node client is masqueraded: the backend sees the node.
		a, _ := l.dial(t, l.client, "10.96.0.10:80")
		if !strings.HasSuffix(a, " "+podGateway) {
			t.Errorf("backend saw %q, want the client masqueraded to %s", a, podGateway)
		}
	})
	t.Run("nodePort", func(t *testing.T) {
		got := l.answers(t, l.client, nodeAddr+":30080", 10)
		if len(got) == 0 {
			t.Errorf("no answers on the NodePort")
		}
		// And on the node's other address, from the node itself.
		if _, err := l.dial(t, l.node, podGateway+":30080"); err != nil {
			t.Errorf("NodePort from the node: %v", err)
		}
	})
	t.Run("no endpoints reject", func(t *testing.T) {
		for _, addr := range []string{"10.96.0.11:80", nodeAddr + ":30081", "10.96.0.10:81"} {
			start := time.Now()
			_, err := l.dial(t, l.client, addr)
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("%s: %v, want refused", addr, err)
			}
			if time.Since(start) > time.Second {
				t.Errorf("%s: took %v, want an immediate reject (not a blackhole)", addr, time.Since(start))
			}
			if os.Getenv("TKP_DEBUG") != "" {
				out, _ := exec.Command("ip", "netns", "exec", l.node, "sh", "-c", "nft list ruleset; nstat -a | grep -i icmp; ip route").CombinedOutput()
				t.Logf("%s", out)
			}
		}
	})
	t.Run("hairpin", func(t *testing.T) {
		l.p.SetService(service("self", "10.96.0.12", 80, 0), false)
		l.p.SetEndpointSlice(slice("self", ready("10.99.2.4")), false)
		l.sync(t)
		a, err := l.dialFrom(t, l.pods, "10.99.2.4", "10.96.0.12:80") // to itself via the Service
		if err != nil || !strings.HasPrefix(a, "10.99.2.4 ") {
			t.Fatalf("hairpin: %q %v", a, err)
		}
	})
	t.Run("session affinity", func(t *testing.T) {
		l.p.SetService(service("web", "10.96.0.10", 80, 30080, func(s *corev1.Service) {
			s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
			s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](60)}}
		}), false)
		l.sync(t)
		if got := l.answers(t, l.client, "10.96.0.10:80", 20); len(got) != 1 {
			t.Errorf("answers %v, want one endpoint", got)
		}
		l.p.SetService(service("web", "10.96.0.10", 80, 30080), false)
		l.sync(t)
	})
	t.Run("terminating", func(t *testing.T) {
		// A terminating endpoint gets no new connections while a ready
		// one exists…
		l.p.SetEndpointSlice(slice("web", ready("10.99.2.2"), ep{ip: "10.99.2.3", serving: true, terminating: true}), false)
		l.sync(t)
		if got := l.answers(t, l.client, "10.96.0.10:80", 20); got["10.99.2.3"] != 0 {
			t.Errorf("answers %v: the terminating endpoint answered", got)
		}
		// …and gets them when only serving terminating ones are left.
		l.p.SetEndpointSlice(slice("web", ep{ip: "10.99.2.3", serving: true, terminating: true}, ep{ip: "10.99.2.2", terminating: true}), false)
		l.sync(t)
		if got := l.answers(t, l.client, "10.96.0.10:80", 10); len(got) != 1 || got["10.99.2.3"] == 0 {
			t.Errorf("answers %v, want only the serving terminating endpoint", got)
		}
		l.p.SetEndpointSlice(slice("web", ready("10.99.2.2"), ready("10.99.2.3")), false)
		l.sync(t)
	})
	t.Run("traffic policy Local", func(t *testing.T) {
		l.p.SetService(service("local", "10.96.0.13", 80, 30083, func(s *corev1.Service) {
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		}), false)
		l.p.SetEndpointSlice(slice("local", ready("10.99.2.2"), ep{ip: "10.99.2.3", ready: true, serving: true, node: "other"}), false)
		l.p.SetService(service("ilocal", "10.96.0.14", 80, 0, func(s *corev1.Service) {
			s.Spec.InternalTrafficPolicy = ptr.To(corev1.ServiceInternalTrafficPolicyLocal)
		}), false)
		l.p.SetEndpointSlice(slice("ilocal", ep{ip: "10.99.2.3", ready: true, serving: true, node: "other"}), false)
		l.sync(t)
		if got := l.answers(t, l.client, nodeAddr+":30083", 15); len(got) != 1 || got["10.99.2.2"] == 0 {
			t.Errorf("NodePort answers %v, want only the local endpoint", got)
		}
		if got := l.answers(t, l.client, "10.96.0.13:80", 30); len(got) != 2 {
			t.Errorf("ClusterIP answers %v, want both (externalTrafficPolicy is not internal)", got)
		}
		// internalTrafficPolicy Local with only a remote endpoint: dropped.
		if a, err := l.dial(t, l.client, "10.96.0.14:80"); err == nil {
			t.Errorf("internalTrafficPolicy Local without local endpoints answered %q", a)
		}
	})
	t.Run("externalIPs and a colliding port", func(t *testing.T) {
		// svc "thief" claims web's ClusterIP:80 as an externalIP: skipped
		// and logged; web and thief's own ClusterIP keep working.
		l.p.SetService(service("thief", "10.96.0.15", 80, 0, func(s *corev1.Service) {
			s.CreationTimestamp = metav1.NewTime(time.Now().Add(time.Hour))
			s.Spec.ExternalIPs = []string{"10.96.0.10", "10.99.1.50"}
		}), false)
		l.p.SetEndpointSlice(slice("thief", ready("10.99.2.5")), false)
		l.sync(t)
		if got := l.answers(t, l.client, "10.96.0.10:80", 10); got["10.99.2.5"] != 0 {
			t.Errorf("web answered by thief's endpoint: %v", got)
		}
		if got := l.answers(t, l.client, "10.96.0.15:80", 3); got["10.99.2.5"] != 3 {
			t.Errorf("thief's ClusterIP: %v", got)
		}
		run(t, "ip", "-n", l.node, "route", "add", "10.99.1.50/32", "dev", "toc") // an externalIP routed to the node
		run(t, "ip", "-n", l.client, "route", "add", "10.99.1.50/32", "via", nodeAddr)
		if got := l.answers(t, l.client, "10.99.1.50:80", 3); got["10.99.2.5"] != 3 {
			t.Errorf("thief's externalIP: %v", got)
		}
		if !strings.Contains(l.log(), "collides") {
			t.Errorf("no collision logged:\n%s", l.log())
		}
	})
	t.Run("invalid address", func(t *testing.T) {
		l.p.SetEndpointSlice(slice("web", ready("10.99.2.2"), ready("999.1.1.1"), ready("not-an-ip")), false)
		l.sync(t)
		if got := l.answers(t, l.client, "10.96.0.10:80", 5); got["10.99.2.2"] != 5 {
			t.Errorf("answers %v", got)
		}
		if !strings.Contains(l.log(), `address \"999.1.1.1\"`) {
			t.Errorf("invalid address not logged:\n%s", l.log())
		}
	})
	t.Run("partial sync", func(t *testing.T) {
		// Only the changed Service's chains and elements are written.
		for i := range 50 {
			name := fmt.Sprintf("many%d", i)
			l.p.SetService(service(name, fmt.Sprintf("10.96.1.%d", i+1), 80, 0), false)
			l.p.SetEndpointSlice(slice(name, ready("10.99.2.2"), ready("10.99.2.3")), false)
		}
		l.sync(t)
		l.p.SetEndpointSlice(slice("many7", ready("10.99.2.2"), ready("10.99.2.3"), ready("10.99.2.4")), false)
		st := l.sync(t)
		if st.Full || st.Services != 1 || st.Operations > 12 {
			t.Errorf("sync after one EndpointSlice change: %+v, want a partial sync of one Service", st)
		}
		if got := l.answers(t, l.client, "10.96.1.8:80", 30); len(got) != 3 {
			t.Errorf("answers %v, want three endpoints", got)
		}
		// Removing a Service removes its chains.
		l.p.SetService(service("many7", "10.96.1.8", 80, 0), true)
		l.sync(t)
		out, _ := exec.Command("ip", "netns", "exec", l.node, "nft", "list", "table", "inet", Table).CombinedOutput()
		if strings.Contains(string(out), "default/many7/") {
			t.Errorf("many7's chains left:\n%s", out)
		}
		if _, err := l.dial(t, l.client, "10.96.1.8:80"); err == nil {
			t.Errorf("deleted Service still answers")
		}
	})
	t.Run("full resync", func(t *testing.T) {
		// Something deletes a chain behind the proxy's back; the next
		// full sync puts it back, and removes a stale one.
		run(t, "ip", "netns", "exec", l.node, "nft", "add", "chain", "inet", Table, "svc-stale")
		l.p.needFull = true
		st := l.sync(t)
		if !st.Full {
			t.Fatal("not a full sync")
		}
		out, _ := exec.Command("ip", "netns", "exec", l.node, "nft", "list", "chains", "inet").CombinedOutput()
		if strings.Contains(string(out), "svc-stale") {
			t.Errorf("stale chain kept")
		}
		if got := l.answers(t, l.client, "10.96.0.10:80", 3); got["10.99.2.2"] != 3 {
			t.Errorf("answers %v", got)
		}
	})
	t.Run("cleanup", func(t *testing.T) {
		// NetworkPolicy's objects in the same table are left alone.
		run(t, "ip", "netns", "exec", l.node, "nft", "add", "chain", "inet", Table, "policy-test")
		if err := Cleanup(context.Background(), l.p.nft); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("ip", "netns", "exec", l.node, "nft", "list", "table", "inet", Table).CombinedOutput()
		if err != nil || strings.Contains(string(out), "svc-") || strings.Contains(string(out), "proxy-") || !strings.Contains(string(out), "policy-test") {
			t.Errorf("after cleanup (%v):\n%s", err, out)
		}
		run(t, "ip", "netns", "exec", l.node, "nft", "delete", "chain", "inet", Table, "policy-test")
		l.p.needFull = true
		l.sync(t)
		if err := Cleanup(context.Background(), l.p.nft); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("ip", "netns", "exec", l.node, "nft", "list", "table", "inet", Table).CombinedOutput(); err == nil {
			t.Errorf("table left after cleanup:\n%s", out)
		}
	})
}

// TestRunFirstSyncHasEveryEndpoint starts the proxy (Run: informers on a
// real API server, rules in the lab's node namespace) after many
// Services and EndpointSlices exist. Its first sync must program every
// Service with its endpoints: waiting for the informers' stores alone
// let it sync before the event handlers had been handed every slice,
// and the Services whose slices were still queued were programmed as
// having no endpoints (their traffic rejected until the next sync).
func TestRunFirstSyncHasEveryEndpoint(t *testing.T) {
	l := newLab(t)
	cfg := server.DefaultConfig()
	cfg.DataDir, cfg.SecurePort, cfg.UnsafeNoFsync = t.TempDir(), 0, true
	cfg.ServiceCIDR = "10.96.0.0/20"
	srv := testserver.StartWithConfig(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const n = 500
	ips := make([]string, n)
	sem := make(chan struct{}, 16)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			name := fmt.Sprintf("many-%03d", i)
			svc, err := srv.Client.CoreV1().Services("default").Create(ctx, service(name, "", 80, 0), metav1.CreateOptions{})
			if err == nil {
				ips[i] = svc.Spec.ClusterIP
				_, err = srv.Client.DiscoveryV1().EndpointSlices("default").Create(ctx, slice(name, ready("10.99.2.2"), ready("10.99.2.3")), metav1.CreateOptions{})
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// One sync only: the next would be an hour later.
	l.p.cfg.Client, l.p.cfg.MinSyncPeriod = srv.Client, time.Hour
	synced := make(chan struct{})
	var once sync.Once
	l.p.cfg.OnSync = func(SyncStats) { once.Do(func() { close(synced) }) }
	node, err := ns.GetNS("/var/run/netns/" + l.node)
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	// The handlers wait on the proxier's lock while the informers list
	// (their stores fill regardless), so they lag their informers as they
	// do on a loaded machine. Run must not say it has synced (and start
	// programming) while they are stuck; it is given five seconds to do
	// it wrong, then the handlers go on.
	l.p.mu.Lock()
	done := make(chan error, 1)
	go func() {
		// In the node namespace: Run sets its sysctls there.
		done <- node.Do(func(ns.NetNS) error { return l.p.Run(ctx) })
	}()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(l.log(), "informers synced") {
			t.Errorf("Run went on to sync while its event handlers were blocked: its first sync lacks what they had not been handed")
			time.Sleep(200 * time.Millisecond) // its first sync waits on the lock too
			break
		}
	}
	l.p.mu.Unlock()
	select {
	case <-synced:
	case err := <-done:
		t.Fatalf("Run returned before its first sync: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("no sync within a minute")
	}
	mapIPs := func(name string) map[string]bool {
		out, err := exec.Command("ip", "netns", "exec", l.node, "nft", "list", "map", "inet", Table, name).CombinedOutput()
		if err != nil {
			t.Fatalf("nft list map %s: %v\n%s", name, err, out)
		}
		got := map[string]bool{}
		for _, m := range regexp.MustCompile(`(\d+\.\d+\.\d+\.\d+) \. tcp \. 80\b`).FindAllStringSubmatch(string(out), -1) {
			got[m[1]] = true
		}
		return got
	}
	dispatch, none := mapIPs(serviceIPsMap), mapIPs(noEndpointServices)
	var missing, rejected []string
	for i, ip := range ips {
		if !dispatch[ip] {
			missing = append(missing, fmt.Sprintf("many-%03d (%s)", i, ip))
		}
		if none[ip] {
			rejected = append(rejected, fmt.Sprintf("many-%03d (%s)", i, ip))
		}
	}
	if len(missing) > 0 || len(rejected) > 0 {
		t.Errorf("first sync: %d of %d Services not dispatched to endpoints %v; %d in the no-endpoints map %v", len(missing), n, missing, len(rejected), rejected)
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}
