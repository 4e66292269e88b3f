package server_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tinykube/tinykube/internal/controllertest"
	servercmd "github.com/tinykube/tinykube/pkg/cmd/server"
	"github.com/tinykube/tinykube/pkg/dns"
)

// TestClusterDNS: `tinykube server` keeps kube-system/kube-dns at the
// 10th address of the service CIDR, its EndpointSlice pointing at the
// DNS listener, which answers cluster names and forwards the rest to
// the resolvers of --cluster-dns-resolv-conf.
func TestClusterDNS(t *testing.T) {
	dir := t.TempDir()
	// An upstream on port 53 of a loopback address of its own, named
	// in a resolv.conf as the host's would be.
	resolv := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(resolv, []byte("nameserver 127.53.0.2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	upstream := true
	pc, ln, err := dns.Listen("127.53.0.2", 53)
	if err != nil {
		t.Logf("no upstream on 127.53.0.2:53 (%v): forwarding not checked", err)
		upstream = false
	} else {
		h := mdns.HandlerFunc(func(w mdns.ResponseWriter, r *mdns.Msg) {
			m := new(mdns.Msg)
			m.SetReply(r)
			if r.Question[0].Name == "example.com." && r.Question[0].Qtype == mdns.TypeA {
				m.Answer = append(m.Answer, &mdns.A{Hdr: mdns.RR_Header{Name: "example.com.", Rrtype: mdns.TypeA, Class: mdns.ClassINET, Ttl: 60}, A: net.IPv4(192, 0, 2, 7)})
			}
			_ = w.WriteMsg(m)
		})
		for _, srv := range []*mdns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}} {
			go func() { _ = srv.ActivateAndServe() }()
			t.Cleanup(func() { _ = srv.Shutdown() })
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cmd := servercmd.NewCommand()
	cmd.SetArgs([]string{"--data-dir", dir, "--secure-port", "0", "--unsafe-no-fsync", "--disable-scheduler",
		"--cluster-dns-port", "0", "--cluster-dns-resolv-conf", resolv})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("server did not stop")
		}
	})

	var client kubernetes.Interface
	var slice *discoveryv1.EndpointSlice
	var lastErr error
	t.Cleanup(func() {
		if slice == nil && lastErr != nil {
			t.Logf("last error getting the kube-dns EndpointSlice: %v", lastErr)
		}
	})
	controllertest.EventuallyWithin(t, "kube-dns EndpointSlice", 60*time.Second, func(ctx context.Context) (bool, error) {
		if client == nil {
			rc, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, "admin.kubeconfig"))
			if err != nil {
				return false, nil
			}
			if client, err = kubernetes.NewForConfig(rc); err != nil {
				return false, err
			}
		}
		// The reconciler writes kube-dns's slice just after the
		// kubernetes one: a poll between the two finds only that one,
		// so a missing slice is waited for, not an error.
		s, err := client.DiscoveryV1().EndpointSlices("kube-system").Get(ctx, "kube-dns", metav1.GetOptions{})
		if err != nil {
			lastErr = err
			return false, nil
		}
		slice = s
		return true, nil
	})
	svc, err := client.CoreV1().Services("kube-system").Get(context.Background(), "kube-dns", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Spec.ClusterIP != "10.0.0.10" || svc.Labels["k8s-app"] != "kube-dns" || svc.Spec.Selector != nil || len(svc.Spec.Ports) != 2 {
		t.Errorf("kube-dns Service: %+v", svc.Spec)
	}
	if len(slice.Endpoints) != 1 || len(slice.Ports) != 2 || slice.Labels[discoveryv1.LabelServiceName] != "kube-dns" {
		t.Fatalf("kube-dns EndpointSlice: %+v", slice)
	}
	port := *slice.Ports[0].Port
	for _, p := range svc.Spec.Ports {
		if p.Port != 53 || p.TargetPort.IntVal != port {
			t.Errorf("kube-dns port %+v, want 53 to %d", p, port)
		}
		if p.Protocol != corev1.ProtocolUDP && p.Protocol != corev1.ProtocolTCP {
			t.Errorf("kube-dns port %+v", p)
		}
	}
	addr := net.JoinHostPort(slice.Endpoints[0].Addresses[0], strconv.Itoa(int(port)))
	for _, proto := range []string{"udp", "tcp"} {
		c := &mdns.Client{Net: proto, Timeout: 5 * time.Second}
		m := new(mdns.Msg)
		m.SetQuestion("kube-dns.kube-system.svc.cluster.local.", mdns.TypeA)
		r, _, err := c.Exchange(m, addr)
		if err != nil || len(r.Answer) != 1 || r.Answer[0].(*mdns.A).A.String() != "10.0.0.10" {
			t.Errorf("%s %s: %v %v", proto, addr, err, r)
		}
		if !upstream {
			continue
		}
		m.SetQuestion("example.com.", mdns.TypeA)
		r, _, err = c.Exchange(m, addr)
		if err != nil || len(r.Answer) != 1 || r.Answer[0].(*mdns.A).A.String() != "192.0.2.7" {
			t.Errorf("%s forwarded: %v %v", proto, err, r)
		}
	}
}
