package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// TestIdleConnectionsLeaveServerUp: a server limited to 1,024 file
// descriptors (prlimit) is sent three times as many connections, from
// 127.0.0.2, each asking GET /version over TLS with no credentials and
// then going silent. The server refuses what it cannot hold and keeps
// answering: a client from 127.0.0.1 still reads and writes (the store
// behind it has the descriptors it needs), and the process is alive.
func TestIdleConnectionsLeaveServerUp(t *testing.T) {
	if _, err := os.Stat("/usr/bin/prlimit"); err != nil {
		t.Skip("needs prlimit (util-linux)")
	}
	bin := buildTinykube(t)
	s := startServerUnder(t, []string{"/usr/bin/prlimit", "--nofile=1024:1024"}, bin)
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()

	var (
		mu              sync.Mutex
		conns           []net.Conn
		answered, other int
	)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}
	var wg sync.WaitGroup
	work := make(chan struct{})
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				c, ok := idleVersionConn(dialer, port)
				mu.Lock()
				if ok {
					answered++
					conns = append(conns, c)
				} else {
					other++
					if c != nil {
						conns = append(conns, c)
					}
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < 3072; i++ {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	t.Logf("idle connections: %d answered GET /version, %d refused or cut", answered, other)
	if answered == 0 {
		t.Fatal("no connection was served at all")
	}

	// Another client is served, reads and writes.
	cfg, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 20 * time.Second
	c := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("after-%d", i)}}
		if _, err := c.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %d with %d idle connections open: %v", i, len(conns), err)
		}
	}
	if list, err := c.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{}); err != nil || len(list.Items) < 20 {
		t.Fatalf("list: %v", err)
	}
	s.waitReady(t)
}

// idleVersionConn dials the server, asks GET /version over HTTP/1.1 and
// keeps the connection open, unread further. ok: the server answered 200.
func idleVersionConn(d *net.Dialer, port string) (net.Conn, bool) {
	raw, err := d.Dial("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return nil, false
	}
	c := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}) //nolint:gosec // the attacker does not check
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("GET /version HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		return c, false
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return c, false
	}
	resp.Body.Close()
	_ = c.SetDeadline(time.Time{})
	return c, resp.StatusCode == http.StatusOK && !strings.EqualFold(resp.Header.Get("Connection"), "close")
}
