package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tinykube/tinykube/internal/controllertest"
)

// The test binary doubles as testserver: run with TESTSERVER_AS_MAIN=1 it
// is main, with the mode in its arguments.
func TestMain(m *testing.M) {
	if os.Getenv("TESTSERVER_AS_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func command(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TESTSERVER_AS_MAIN=1")
	return cmd
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs a long-running mode and waits until it serves on port.
func start(t *testing.T, port int, args ...string) *exec.Cmd {
	t.Helper()
	cmd := command(t, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		if err := <-done; exitCode(err) != 0 {
			t.Errorf("%v after SIGINT: %v, want exit 0", args, err)
		}
	})
	controllertest.Eventually(t, "serving on port", func(context.Context) (bool, error) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil, nil
	})
	return cmd
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestExitAndSleep(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"exit", "0"}, 0},
		{[]string{"exit", "3"}, 3},
		{[]string{"exit", "300"}, 1},
		{[]string{"sleep", "0.01"}, 0},
		{[]string{"sleep", "10ms"}, 0},
		{[]string{"sleep", "soon"}, 1},
		{[]string{"stress-memory", "lots"}, 1},
		{[]string{"no-such-mode"}, 2},
		{nil, 2},
	} {
		if got := exitCode(command(t, tc.args...).Run()); got != tc.code {
			t.Errorf("%q: exit code %d, want %d", tc.args, got, tc.code)
		}
	}
}

func TestNetexec(t *testing.T) {
	port := freePort(t)
	start(t, port, "netexec", fmt.Sprintf("--http-port=%d", port))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	host, _ := os.Hostname()
	for path, want := range map[string]string{"/hostname": host, "/echo?msg=hello": "hello", "/healthz": "ok", "/shell?cmd=echo+hi": "hi\n"} {
		if code, body := get(t, base+path); code != 200 || body != want {
			t.Errorf("GET %s = %d %q, want 200 %q", path, code, body, want)
		}
	}
	if code, _ := get(t, base+"/exit?code=x"); code != http.StatusBadRequest {
		t.Errorf("/exit?code=x: %d, want 400", code)
	}
}

// TestNetexecShutdownDelay: after SIGTERM the server still answers for
// --shutdown-delay, then exits 0.
func TestNetexecShutdownDelay(t *testing.T) {
	port := freePort(t)
	cmd := command(t, "netexec", fmt.Sprintf("--http-port=%d", port), "--shutdown-delay=1s")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "serving HTTP") {
		t.Fatalf("first line %q", line)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/echo?msg=still", port)
	controllertest.Eventually(t, "serving", func(context.Context) (bool, error) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
		}
		return err == nil, nil
	})
	cmd.Process.Signal(syscall.SIGTERM)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("output ended before the shutdown notice: %v", err)
		}
		if strings.HasPrefix(line, "signal received; shutting down in 1s") {
			break
		}
	}
	if code, body := get(t, url); code != 200 || body != "still" {
		t.Errorf("during the shutdown delay: %d %q", code, body)
	}
	rest, _ := io.ReadAll(r)
	if err := cmd.Wait(); err != nil || !strings.Contains(string(rest), "GET /echo?msg=still") || !strings.Contains(string(rest), "shutting down") {
		t.Errorf("exit %v, output %q", err, rest)
	}
}

func TestNetexecExitOverHTTP(t *testing.T) {
	port := freePort(t)
	cmd := command(t, "netexec", fmt.Sprintf("--http-port=%d", port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	controllertest.Eventually(t, "exit over HTTP", func(context.Context) (bool, error) {
		http.Get(fmt.Sprintf("http://127.0.0.1:%d/exit?code=4", port))
		select {
		case err := <-done:
			if exitCode(err) != 4 {
				return false, fmt.Errorf("exit: %v, want code 4", err)
			}
			return true, nil
		default:
			return false, nil
		}
	})
}

func TestHealthzFails(t *testing.T) {
	for _, mode := range [][]string{{"netexec", "--healthz-fail-after=50ms", "--http-port"}, {"fail-probe", "--port"}} {
		port := freePort(t)
		start(t, port, append(mode, fmt.Sprint(port))...)
		controllertest.Eventually(t, mode[0]+" /healthz fails", func(context.Context) (bool, error) {
			code, _ := get(t, fmt.Sprintf("http://127.0.0.1:%d/healthz", port))
			return code == http.StatusInternalServerError, nil
		})
	}
}

func TestServeHostnameAndTCPEcho(t *testing.T) {
	port := freePort(t)
	start(t, port, "serve-hostname", "--port", fmt.Sprint(port))
	host, _ := os.Hostname()
	if code, body := get(t, fmt.Sprintf("http://127.0.0.1:%d/anything", port)); code != 200 || body != host {
		t.Errorf("serve-hostname: %d %q, want %q", code, body, host)
	}

	port = freePort(t)
	start(t, port, "tcp-echo", "--port", fmt.Sprint(port))
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintln(c, "ping")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "ping\n" {
		t.Errorf("tcp-echo: %q %v", line, err)
	}
}

func TestStressMemoryAndPause(t *testing.T) {
	for _, args := range [][]string{{"stress-memory", "8Mi"}, {"pause"}} {
		cmd := command(t, args...)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(out) // wait until it is ready for the signal
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%v output ended: %v", args, err)
			}
			if strings.Contains(line, "waiting") {
				break
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd.Process.Signal(os.Interrupt)
		go func() { <-ctx.Done(); cmd.Process.Kill() }()
		io.Copy(io.Discard, r)
		if err := cmd.Wait(); err != nil {
			t.Errorf("%v after SIGINT: %v, want exit 0", args, err)
		}
		cancel()
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"1000": 1000, "64Ki": 64 << 10, "64Mi": 64 << 20, "1Gi": 1 << 30, "2K": 2000, "3M": 3e6, "1G": 1e9} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "Mi", "1Ti", "99999999999Gi"} {
		if _, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q): want an error", in)
		}
	}
}
