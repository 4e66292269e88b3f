package etcd

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinykube/tinykube/internal/etcdtest"
)

// TestExternalTLS connects to an etcd that requires client certificates,
// and checks that each wrong setting fails at once naming its flag.
func TestExternalTLS(t *testing.T) {
	x := etcdtest.StartTLS(t)
	ctx := context.Background()

	good := External{Servers: []string{x.Endpoint}, CAFile: x.CAFile, CertFile: x.ClientCert, KeyFile: x.ClientKey}
	c, err := NewExternalClient(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Put(ctx, "/registry/k", "v"); err != nil {
		t.Fatal(err)
	}
	if r, err := c.Get(ctx, "/registry/k"); err != nil || len(r.Kvs) != 1 {
		t.Fatalf("get: %v %v", r, err)
	}

	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	missing := filepath.Join(t.TempDir(), "missing.crt")
	for _, tc := range []struct {
		name string
		x    External
		want string
	}{
		{"wrong CA", External{Servers: []string{x.Endpoint}, CAFile: x.OtherCAFile, CertFile: x.ClientCert, KeyFile: x.ClientKey},
			"not signed by a CA in --etcd-cafile " + x.OtherCAFile},
		{"system CAs", External{Servers: []string{x.Endpoint}, CertFile: x.ClientCert, KeyFile: x.ClientKey},
			"the system's CAs (set --etcd-cafile)"},
		{"no client certificate", External{Servers: []string{x.Endpoint}, CAFile: x.CAFile},
			"without a client certificate: set --etcd-certfile and --etcd-keyfile"},
		{"client certificate of another CA", External{Servers: []string{x.Endpoint}, CAFile: x.CAFile, CertFile: x.OtherClientCert, KeyFile: x.OtherClientKey},
			"refused the client certificate --etcd-certfile " + x.OtherClientCert},
		{"missing certificate file", External{Servers: []string{x.Endpoint}, CAFile: x.CAFile, CertFile: missing, KeyFile: x.ClientKey},
			"--etcd-certfile " + missing},
		{"missing CA file", External{Servers: []string{x.Endpoint}, CAFile: missing},
			"--etcd-cafile: open " + missing},
		{"certificate without key", External{Servers: []string{x.Endpoint}, CAFile: x.CAFile, CertFile: x.ClientCert},
			"--etcd-certfile and --etcd-keyfile go together"},
		{"plaintext URL with TLS files", External{Servers: []string{"http://127.0.0.1:1"}, CAFile: x.CAFile},
			"no --etcd-servers URL is https"},
		{"plaintext server", External{Servers: []string{strings.Replace(plain.URL, "http://", "https://", 1)}, CAFile: x.CAFile},
			"does not speak TLS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewExternalClient(ctx, tc.x)
			if err == nil {
				c.Close()
				t.Fatal("connected")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			t.Log(err)
		})
	}
}
