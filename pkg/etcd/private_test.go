package etcd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/tinykube/tinykube/internal/etcdtest"
)

// dialEnv makes the test binary, run as a child, dial the unix socket it
// names and exit: 0 connected, 3 refused (the error on stdout).
const dialEnv = "TINYKUBE_ETCD_TEST_DIAL"

func TestMain(m *testing.M) {
	if sock := os.Getenv(dialEnv); sock != "" {
		c, err := net.DialTimeout("unix", sock, 5*time.Second)
		if err != nil {
			fmt.Print(err)
			os.Exit(3)
		}
		c.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// dialAs dials sock from a child process running as uid/gid.
func dialAs(t *testing.T, uid uint32, sock string) (connected bool, out string) {
	t.Helper()
	// /proc/self/exe reaches the test binary even when the build dir
	// above it is closed to uid.
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), dialEnv+"="+sock)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	b, err := cmd.Output()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return true, string(b)
	case errors.As(err, &exit) && exit.ExitCode() == 3:
		return false, string(b)
	}
	t.Fatalf("running the dialer as uid %d: %v %s", uid, err, b)
	return false, ""
}

// TestStartEmbeddedIsPrivate: the member serves on unix sockets in its
// data dir, which it makes 0700 even if a user created it 0755, opens no
// TCP port, and another local user cannot connect.
func TestStartEmbeddedIsPrivate(t *testing.T) {
	parent := t.TempDir()
	if err := os.Chmod(parent, 0o755); err != nil { // as /var/lib is
		t.Fatal(err)
	}
	dir := filepath.Join(parent, "etcd")
	if err := os.Mkdir(dir, 0o755); err != nil { // a user's mkdir
		t.Fatal(err)
	}
	if len(filepath.Join(dir, peerSocket)) > maxSocketPath {
		t.Skipf("temp dir %s too long for a socket", dir)
	}
	before := etcdtest.ListeningTCPPorts(t)
	var logs bytes.Buffer
	e := start(t, Config{DataDir: dir, UnsafeNoFsync: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	defer e.Close()
	for p := range etcdtest.ListeningTCPPorts(t) {
		if !before[p] {
			t.Errorf("the embedded etcd listens on TCP port %d", p)
		}
	}
	if !strings.Contains(logs.String(), "made it private") {
		t.Errorf("tightening %s was not logged: %q", dir, logs.String())
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data dir: %v, %v; want mode 0700", fi.Mode(), err)
	}
	client := filepath.Join(dir, clientSocket)
	if e.Endpoint != "unix://"+client {
		t.Errorf("Endpoint = %q, want unix://%s", e.Endpoint, client)
	}
	for _, sock := range []string{client, filepath.Join(dir, peerSocket)} {
		fi, err := os.Lstat(sock)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want a 0600 socket", sock, fi.Mode())
		}
		if uid, ok := fileOwner(fi); ok && uid != os.Geteuid() {
			t.Errorf("%s: owner uid %d, want %d", sock, uid, os.Geteuid())
		}
	}
	if _, err := e.Client().Put(context.Background(), "/registry/secrets/default/s", "v"); err != nil {
		t.Fatal(err)
	}

	if os.Geteuid() != 0 {
		t.Log("not root: cannot dial as another user; modes and owner checked")
		return
	}
	if ok, out := dialAs(t, 0, client); !ok {
		t.Fatalf("the dialer cannot connect even as root: %s", out)
	}
	if ok, out := dialAs(t, 65534, client); ok {
		t.Fatalf("uid 65534 connected to %s", client)
	} else if !strings.Contains(out, "permission denied") {
		t.Fatalf("uid 65534 failed for another reason than permissions: %s", out)
	}
}

func TestPrivateDir(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	root := t.TempDir()

	created := filepath.Join(root, "a", "b")
	if err := PrivateDir(created, log); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(created); fi.Mode().Perm() != 0o700 {
		t.Errorf("created %v, want 0700", fi.Mode())
	}
	if logs.Len() != 0 {
		t.Errorf("a new dir logged %q", logs.String())
	}

	loose := filepath.Join(root, "loose")
	if err := os.Mkdir(loose, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := PrivateDir(loose, log); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(loose); fi.Mode().Perm() != 0o700 {
		t.Errorf("tightened %v, want 0700", fi.Mode())
	}
	if !strings.Contains(logs.String(), "level=INFO") || !strings.Contains(logs.String(), "was=0750") {
		t.Errorf("log %q: want an INFO line (the dir was empty) saying what the mode was", logs.String())
	}
	logs.Reset()
	if err := os.WriteFile(filepath.Join(loose, "secret"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(loose, 0o711); err != nil {
		t.Fatal(err)
	}
	if err := PrivateDir(loose, log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("log %q: want a warning for a loose dir with contents", logs.String())
	}

	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := PrivateDir(file, log); err == nil {
		t.Error("a file was accepted as a data dir")
	}

	if os.Geteuid() != 0 {
		return
	}
	theirs := filepath.Join(root, "theirs")
	if err := os.Mkdir(theirs, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(theirs, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := PrivateDir(theirs, log); !errors.Is(err, ErrNotPrivate) {
		t.Fatalf("another user's dir: err = %v, want ErrNotPrivate", err)
	}
}

// A data dir whose path is too long for a socket address gets its
// sockets in a private temp dir, removed on Close.
func TestStartEmbeddedLongDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", maxSocketPath))
	e := start(t, Config{DataDir: dir, UnsafeNoFsync: true})
	sock := strings.TrimPrefix(e.Endpoint, "unix://")
	if strings.HasPrefix(sock, dir) || len(sock) > maxSocketPath {
		t.Fatalf("Endpoint %s", e.Endpoint)
	}
	if fi, err := os.Stat(filepath.Dir(sock)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket dir: %v, %v; want 0700", fi, err)
	}
	if _, err := e.Client().Put(context.Background(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(sock)); !os.IsNotExist(err) {
		t.Fatalf("socket dir left behind: %v", err)
	}
}

// A second member on a served data dir is refused before etcd replaces
// the first one's socket.
func TestStartEmbeddedRefusesAServedDataDir(t *testing.T) {
	dir := t.TempDir()
	e := start(t, Config{DataDir: dir, UnsafeNoFsync: true})
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if second, err := StartEmbedded(ctx, Config{DataDir: dir, UnsafeNoFsync: true}); err == nil {
		second.Close()
		t.Fatal("a second member started on the same data dir")
	} else if !strings.Contains(err.Error(), "another process") {
		t.Fatalf("err = %v", err)
	}
	if _, err := e.Client().Put(ctx, "k", "v"); err != nil {
		t.Fatalf("the first member after the refused start: %v", err)
	}
	// A new connection still finds the socket.
	c, err := NewClient([]string{e.Endpoint}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Get(ctx, "k"); err != nil {
		t.Fatal(err)
	}
}

// A data dir written when the member listened on loopback TCP (its
// recorded peer URL is http://127.0.0.1:0) opens on the sockets.
func TestStartEmbeddedOpensADataDirFromLoopbackDays(t *testing.T) {
	dir := t.TempDir()
	ec := embed.NewConfig()
	ec.Name, ec.Dir, ec.InitialClusterToken = "tinykube", dir, "tinykube"
	loopback, _ := url.Parse("http://127.0.0.1:0")
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{*loopback}, []url.URL{*loopback}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{*loopback}, []url.URL{*loopback}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.TickMs, ec.ElectionMs, ec.InitialElectionTickAdvance = 10, 100, true
	ec.Logger, ec.LogLevel = "zap", "error"
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	old, err := embed.StartEtcd(ec)
	if err != nil {
		t.Fatal(err)
	}
	<-old.Server.ReadyNotify()
	c, err := NewClient([]string{"http://" + old.Clients[0].Addr().String()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Put(ctx, "/registry/k", "v"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	old.Close()

	e := start(t, Config{DataDir: dir})
	defer e.Close()
	resp, err := e.Client().Get(ctx, "/registry/k")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
		t.Fatalf("after moving to sockets: %v, %v", resp, err)
	}
}
