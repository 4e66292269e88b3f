package e2e

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// server is a `tinykube server` subprocess on a fresh data dir.
type server struct {
	URL        string
	Kubeconfig string
	logPath    string
	proc       *os.Process
	// exited is closed once the process has exited, with exitErr
	// (cmd.Wait's error) set.
	exited  chan struct{}
	exitErr error
}

var readyLine = regexp.MustCompile(`msg="tinykube ready".* url=(\S+)`)

// startServer runs `tinykube server --secure-port 0 args...` and returns
// once it logged its URL and /readyz answers ok. The process is stopped (SIGTERM,
// then SIGKILL) when t ends; its log is printed if t failed.
func startServer(t *testing.T, bin string, args ...string) *server {
	t.Helper()
	return startServerUnder(t, nil, bin, args...)
}

// startServerUnder is startServer run through a wrapper command (e.g.
// prlimit with its arguments).
func startServerUnder(t *testing.T, wrapper []string, bin string, args ...string) *server {
	t.Helper()
	dir := t.TempDir()
	s := &server{Kubeconfig: filepath.Join(dir, "admin.kubeconfig"), logPath: filepath.Join(dir, "server.log"), exited: make(chan struct{})}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	argv := append(append(append([]string{}, wrapper...), bin, "server", "--data-dir", dir, "--secure-port", "0", "--unsafe-no-fsync"), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.proc = cmd.Process
	go func() { s.exitErr = cmd.Wait(); pw.CloseWithError(io.EOF); close(s.exited) }()

	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			logFile.WriteString(line + "\n")
			if m := readyLine.FindStringSubmatch(line); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
		io.Copy(logFile, pr) //nolint:errcheck // drain after an over-long line
		logFile.Close()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // may have exited already
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill() //nolint:errcheck
			<-s.exited
		}
		if t.Failed() {
			s.dumpLog(t)
		}
	})

	select {
	case s.URL = <-urls:
	case <-s.exited:
		s.dumpLog(t)
		t.Fatalf("tinykube server exited before ready: %v", s.exitErr)
	case <-time.After(60 * time.Second):
		t.Fatal("tinykube server: no ready line within 60s")
	}
	s.waitReady(t)
	return s
}

// waitReady polls /readyz with the admin credentials until it says ok.
func (s *server) waitReady(t *testing.T) {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/readyz", nil)
		if resp, err := client.Do(req); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.TrimSpace(string(b)) == "ok" {
				return
			}
			last = resp.Status + " " + string(b)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			t.Fatalf("/readyz not ok within 30s: %s", last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *server) dumpLog(t *testing.T) {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 16<<10 {
		b = b[len(b)-16<<10:]
	}
	t.Logf("tinykube server log (tail):\n%s", b)
}
