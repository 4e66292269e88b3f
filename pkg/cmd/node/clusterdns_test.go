package node

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/internal/testserver"
)

// gate is a TCP relay to the API server that drops every connection
// while closed: an API server that does not answer yet.
type gate struct {
	ln   net.Listener
	open atomic.Bool
	wg   sync.WaitGroup
}

func startGate(t *testing.T, target string) *gate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{ln: ln}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !g.open.Load() {
				c.Close()
				continue
			}
			g.wg.Add(1)
			go func() {
				defer g.wg.Done()
				defer c.Close()
				up, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer up.Close()
				go func() { _, _ = io.Copy(up, c); up.Close() }()
				_, _ = io.Copy(c, up)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return g
}

// TestFollowClusterDNS: a node started while the API does not answer
// gives its pods the host's resolv.conf, and the cluster DNS once the API
// answers and kube-system/kube-dns has a ClusterIP; it follows the
// Service's deletion and re-creation.
func TestFollowClusterDNS(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	services := s.Client.CoreV1().Services(metav1.NamespaceSystem)
	if err := services.Delete(ctx, clusterDNSService, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	u, err := url.Parse(s.RESTConfig.Host)
	if err != nil {
		t.Fatal(err)
	}
	g := startGate(t, u.Host)
	rc := rest.CopyConfig(s.RESTConfig)
	rc.Host = "https://" + g.ln.Addr().String()

	dns, err := followClusterDNS(ctx, rc, 500*time.Millisecond, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	if got := dns.Servers(); got != nil {
		t.Fatalf("API down: %v, want none", got)
	}
	svc, err := services.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: clusterDNSService},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := dns.Servers(); got != nil {
		t.Fatalf("API still down: %v, want none", got)
	}
	g.open.Store(true)
	waitServers := func(want []string) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for !slices.Equal(dns.Servers(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("cluster DNS %v, want %v", dns.Servers(), want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitServers([]string{svc.Spec.ClusterIP})

	if err := services.Delete(ctx, clusterDNSService, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitServers(nil)
	svc, err = services.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: clusterDNSService},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitServers([]string{svc.Spec.ClusterIP})
	cancel()
	if err := g.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatal(err)
	}
}

// A headless kube-dns names no server.
func TestClusterDNSHeadless(t *testing.T) {
	c := &clusterDNS{logger: slog.Default()}
	c.set(&corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.10"}})
	if got := c.Servers(); !slices.Equal(got, []string{"10.96.0.10"}) {
		t.Errorf("ClusterIP: %v", got)
	}
	c.set(&corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone}})
	if got := c.Servers(); got != nil {
		t.Errorf("headless: %v, want none", got)
	}
}
