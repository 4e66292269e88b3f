package server

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStartUnreachableEtcd: an external etcd that does not answer fails
// start-up after EtcdStartTimeout with an error naming etcd, its address
// and why, and leaves no data dir behind.
func TestStartUnreachableEtcd(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := DefaultConfig()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.SecurePort = 0
	cfg.EtcdServers = []string{"http://" + addr}
	cfg.EtcdStartTimeout = time.Second
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	s, err := Start(context.Background(), cfg)
	if err == nil {
		s.Close()
		t.Fatal("started without etcd")
	}
	want := "etcd at http://" + addr + " did not answer within 1s: dial tcp " + addr + ": connect: connection refused"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to contain %q", err, want)
	}
	if _, err := os.Stat(cfg.DataDir); !os.IsNotExist(err) {
		t.Errorf("data dir left behind: %v", err)
	}
}
