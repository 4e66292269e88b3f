package integration

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/etcdtest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/server"
)

// TestStoreIsPrivate: a server on the embedded etcd listens on TCP only
// for its API; the store is a 0600 socket in 0700 dirs, even when the
// data dir was created 0755 beforehand (pkg/etcd's TestStartEmbeddedIsPrivate
// dials it as another user).
func TestStoreIsPrivate(t *testing.T) {
	parent := t.TempDir()
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	before := etcdtest.ListeningTCPPorts(t)
	s := testserver.Start(t, dir)
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	apiPort, _ := strconv.Atoi(u.Port())
	for p := range etcdtest.ListeningTCPPorts(t) {
		if !before[p] && p != apiPort {
			t.Errorf("the server listens on TCP port %d besides its API's (%d)", p, apiPort)
		}
	}
	for _, d := range []string{dir, filepath.Join(dir, "etcd")} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want mode 0700", d, fi.Mode(), err)
		}
	}
	sock := filepath.Join(dir, "etcd", "etcd.sock")
	if len(sock) < 100 { // else the socket is in a temp dir (pkg/etcd)
		if fi, err := os.Stat(sock); err != nil || fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want a 0600 socket", sock, fi.Mode(), err)
		}
	}
	// The store works through it.
	ctx := context.Background()
	if _, err := s.Client.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if r, err := s.EtcdClient().Get(ctx, "/registry/secrets/default/s"); err != nil || len(r.Kvs) != 1 {
		t.Fatalf("stored secret: %v %v", r, err)
	}
}

// TestExternalTLSEtcd runs the server on an etcd that requires client
// certificates (--etcd-servers https://… --etcd-cafile --etcd-certfile
// --etcd-keyfile), and checks that a wrong CA or a missing certificate
// stops the start with an error naming the flag.
func TestExternalTLSEtcd(t *testing.T) {
	x := etcdtest.StartTLS(t)
	cfg := server.DefaultConfig()
	cfg.DataDir, cfg.SecurePort = t.TempDir(), 0
	cfg.DisableAdmissionPlugins = []string{"ServiceAccount"}
	cfg.EtcdServers = []string{x.Endpoint}
	cfg.EtcdCAFile, cfg.EtcdCertFile, cfg.EtcdKeyFile = x.CAFile, x.ClientCert, x.ClientKey

	for _, tc := range []struct {
		name   string
		change func(*server.Config)
		want   string
	}{
		{"wrong CA", func(c *server.Config) { c.EtcdCAFile = x.OtherCAFile }, "not signed by a CA in --etcd-cafile"},
		{"no client certificate", func(c *server.Config) { c.EtcdCertFile, c.EtcdKeyFile = "", "" }, "set --etcd-certfile and --etcd-keyfile"},
		{"missing certificate file", func(c *server.Config) { c.EtcdCertFile = filepath.Join(t.TempDir(), "nope.crt") }, "--etcd-certfile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := cfg
			bad.DataDir = t.TempDir()
			tc.change(&bad)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			s, err := server.Start(ctx, bad)
			if err == nil {
				s.Close()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}

	s := testserver.StartWithConfig(t, cfg)
	ctx := context.Background()
	if _, err := s.Client.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if r, err := s.EtcdClient().Get(ctx, "/registry/configmaps/default/cm"); err != nil || len(r.Kvs) != 1 {
		t.Fatalf("stored configmap: %v %v", r, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "etcd")); !os.IsNotExist(err) {
		t.Errorf("an external etcd server made %s/etcd: %v", cfg.DataDir, err)
	}
}
