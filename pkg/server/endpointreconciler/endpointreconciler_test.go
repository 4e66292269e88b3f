package endpointreconciler_test

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/etcd"
	"github.com/tinykube/tinykube/pkg/server"
	"github.com/tinykube/tinykube/pkg/server/endpointreconciler"
)

// startOn starts an API server on the shared etcd, serving bind:port
// and advertising ip.
func startOn(t *testing.T, etcdURLs []string, bind string, port int, ip string) *testserver.Server {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.DataDir, cfg.BindAddress, cfg.SecurePort, cfg.UnsafeNoFsync = t.TempDir(), bind, port, true
	cfg.EtcdServers, cfg.AdvertiseAddress = etcdURLs, ip
	cfg.EndpointReconcileInterval = 200 * time.Millisecond
	return testserver.StartWithConfig(t, cfg)
}

// listed waits until the kubernetes Endpoints and EndpointSlice list
// exactly ips on port.
func listed(t *testing.T, c kubernetes.Interface, port int32, ips ...string) {
	t.Helper()
	var gotEP, gotSlice []string
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		ep, err := c.CoreV1().Endpoints("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil || len(ep.Subsets) != 1 {
			return false, nil
		}
		gotEP = nil
		for _, a := range ep.Subsets[0].Addresses {
			gotEP = append(gotEP, a.IP)
		}
		p := ep.Subsets[0].Ports
		if ep.Labels[discoveryv1.LabelSkipMirror] != "true" || len(p) != 1 || p[0].Name != "https" || p[0].Port != port || p[0].Protocol != corev1.ProtocolTCP {
			return false, nil
		}
		s, err := c.DiscoveryV1().EndpointSlices("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil || s.Labels[discoveryv1.LabelServiceName] != "kubernetes" || s.AddressType != discoveryv1.AddressTypeIPv4 ||
			len(s.Ports) != 1 || *s.Ports[0].Port != port || *s.Ports[0].Name != "https" {
			return false, nil
		}
		gotSlice = nil
		for _, e := range s.Endpoints {
			gotSlice = append(gotSlice, e.Addresses...)
		}
		return slices.Equal(gotEP, ips) && slices.Equal(gotSlice, ips), nil
	})
	if err != nil {
		t.Fatalf("want %v listed: endpoints %v, slice %v", ips, gotEP, gotSlice)
	}
}

// quiet checks that renewals that change nothing write nothing: no
// Endpoints or EndpointSlice event in default over several intervals.
func quiet(t *testing.T, c kubernetes.Interface) {
	t.Helper()
	ctx := context.Background()
	timeout := int64(1)
	eps, err := c.CoreV1().Endpoints("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.CoreV1().Endpoints("default").Watch(ctx, metav1.ListOptions{ResourceVersion: eps.ResourceVersion, TimeoutSeconds: &timeout})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range w.ResultChan() {
		t.Errorf("endpoints rewritten without a change: %s", ev.Type)
	}
	slices, err := c.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sw, err := c.DiscoveryV1().EndpointSlices("default").Watch(ctx, metav1.ListOptions{ResourceVersion: slices.ResourceVersion, TimeoutSeconds: &timeout})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range sw.ResultChan() {
		t.Errorf("endpointslice rewritten without a change: %s", ev.Type)
	}
}

// TestAPIServersShareTheKubernetesEndpoints: two API servers on one etcd
// are both listed; one stopping cleanly leaves at once; one that dies
// without cleaning up leaves when its lease expires.
func TestAPIServersShareTheKubernetesEndpoints(t *testing.T) {
	emb, err := etcd.StartEmbedded(context.Background(), etcd.Config{DataDir: t.TempDir(), UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emb.Close() })
	urls := emb.Client().Endpoints()

	// Both servers serve one port (as a real HA setup; each writes its
	// own), on two loopback addresses.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := int32(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	a := startOn(t, urls, "127.0.0.1", int(port), "10.250.0.1")
	listed(t, a.Client, port, "10.250.0.1")
	quiet(t, a.Client)

	b := startOn(t, urls, "127.0.0.2", int(port), "10.250.0.2")
	listed(t, a.Client, port, "10.250.0.1", "10.250.0.2")
	b.Close()
	listed(t, a.Client, port, "10.250.0.1")

	// A server that dies: renew once with a short TTL, never remove.
	pb := protobuf.NewSerializer(api.Scheme, api.Scheme)
	dead, err := endpointreconciler.New(endpointreconciler.Config{
		Etcd: emb.Client(), LeaseCodec: api.Codecs.EncoderForVersion(pb, corev1.SchemeGroupVersion),
		Endpoints: a.Registry.Store("", "endpoints"), EndpointSlices: a.Registry.Store("discovery.k8s.io", "endpointslices"),
		IP: netip.MustParseAddr("10.250.0.3"), Port: port, TTL: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := dead.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	listed(t, a.Client, port, "10.250.0.1", "10.250.0.3")
	listed(t, a.Client, port, "10.250.0.1")
}
