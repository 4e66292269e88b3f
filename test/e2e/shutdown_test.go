package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// TestGracefulShutdown: SIGTERM on `tinykube server` as on upstream's
// kube-apiserver. /readyz fails "shutdown" at once while /livez stays ok
// and the server keeps serving for --shutdown-delay-duration; then it
// stops accepting, a watch open since before ends cleanly (EOF, not a
// reset), a create whose body was still being sent completes, and the
// process exits 0.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds tinykube")
	}
	bin := buildTinykube(t)
	// The delay only needs to outlast a few requests; it is long so
	// that a loaded machine still sends them within it.
	s := startServer(t, bin, "--shutdown-delay-duration", "10s")
	rc, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	client, err := rest.HTTPClientFor(rc)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string, error) {
		resp, err := client.Get(s.URL + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}

	// A watch, open (headers received) before SIGTERM.
	watch, err := client.Get(s.URL + "/api/v1/namespaces/default/configmaps?watch=true")
	if err != nil || watch.StatusCode != http.StatusOK {
		t.Fatalf("watch: %v %v", watch, err)
	}
	watchEnded := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, watch.Body)
		watch.Body.Close()
		watchEnded <- err // nil: the stream ended cleanly
	}()

	// A create still sending its body when the listener closes.
	body, bodyW := io.Pipe()
	type result struct {
		code int
		err  error
	}
	created := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v1/namespaces/default/configmaps", body)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			created <- result{err: err}
			return
		}
		io.Copy(io.Discard, resp.Body) //nolint:errcheck
		resp.Body.Close()
		created <- result{code: resp.StatusCode}
	}()
	if _, err := bodyW.Write([]byte(`{"apiVersion":"v1","kind":"ConfigMap",`)); err != nil {
		t.Fatal(err)
	}

	if err := s.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// (b) During the delay: not ready because of "shutdown", still live,
	// still serving.
	code, out, err := 0, "", error(nil)
	for range 100 {
		if code, out, err = get("/readyz?verbose"); err != nil || code != http.StatusOK {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || code != http.StatusInternalServerError || !strings.Contains(out, "[-]shutdown failed") {
		t.Fatalf("/readyz after SIGTERM: %d %v\n%s", code, err, out)
	}
	if code, out, err := get("/livez"); err != nil || code != http.StatusOK || out != "ok" {
		t.Errorf("/livez during the shutdown delay: %d %q %v", code, out, err)
	}
	if code, _, err := get("/api/v1/namespaces/default/configmaps"); err != nil || code != http.StatusOK {
		t.Errorf("list during the shutdown delay: %d %v", code, err)
	}
	select {
	case err := <-watchEnded:
		t.Fatalf("watch ended during the shutdown delay: %v", err)
	default:
	}

	// (a) Once it stops accepting, the watch ends cleanly and the
	// create in flight completes.
	s.waitLog(t, "not accepting new connections", time.Minute)
	if err := <-watchEnded; err != nil {
		t.Errorf("watch: stream did not end cleanly: %v", err)
	}
	if _, err := bodyW.Write([]byte(`"metadata":{"name":"sent-during-shutdown"}}`)); err != nil {
		t.Fatal(err)
	}
	bodyW.Close()
	if r := <-created; r.err != nil || r.code != http.StatusCreated {
		t.Errorf("create in flight across the shutdown: %d %v", r.code, r.err)
	}

	// (c) Exit 0.
	select {
	case <-s.exited:
	case <-time.After(2 * time.Minute):
		t.Fatal("tinykube server did not exit within 2 minutes of SIGTERM")
	}
	if s.exitErr != nil {
		t.Errorf("tinykube server exited with %v", s.exitErr)
	}
	logged, _ := os.ReadFile(s.logPath)
	for _, want := range []string{"/readyz fails from now on", "requests in flight drained", "tinykube stopped"} {
		if !bytes.Contains(logged, []byte(want)) {
			t.Errorf("log has no %q", want)
		}
	}
}

// waitLog waits for a line containing substr in the server's log.
func (s *server) waitLog(t *testing.T, substr string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if b, _ := os.ReadFile(s.logPath); bytes.Contains(b, []byte(substr)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line containing %q within %s", substr, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStartUnreachable: a server whose etcd, and a node whose API
// server, does not answer logs what it waits for, where, and why; Ctrl-C
// then ends it with an error that says what it was waiting for.
func TestStartUnreachable(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds tinykube")
	}
	bin := buildTinykube(t)
	closed := closedAddress(t)
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://`+closed+`", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name              string
		args              []string
		waiting, stopping string
	}{{
		name:     "server",
		args:     []string{"server", "--data-dir", filepath.Join(dir, "data"), "--secure-port", "0", "--etcd-servers", "http://" + closed},
		waiting:  "waiting for etcd at http://" + closed + ": dial tcp " + closed + ": connect: connection refused",
		stopping: "interrupted while waiting for etcd at http://" + closed,
	}, {
		name:     "node",
		args:     []string{"node", "--kubeconfig", kubeconfig, "--simulated", "1"},
		waiting:  "waiting for the API server at https://" + closed + ":",
		stopping: "interrupted while waiting for the API server at https://" + closed,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, tc.args...)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for !strings.Contains(stderr.String(), tc.waiting) {
				if ctx.Err() != nil {
					t.Fatalf("no %q line; stderr:\n%s", tc.waiting, stderr.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
			cmd.Process.Signal(os.Interrupt) //nolint:errcheck
			err := cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Errorf("exit after Ctrl-C: %v, want status 1", err)
			}
			if !strings.Contains(stderr.String(), tc.stopping) {
				t.Errorf("no %q after Ctrl-C; stderr:\n%s", tc.stopping, stderr.String())
			}
		})
	}
}

// closedAddress is a loopback address nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
