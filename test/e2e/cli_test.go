package e2e

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCLI checks the binary's command line as a user meets it: --version,
// upstream's logging flags and KUBECONFIG on every command, and a start
// on a busy port that fails cleanly.
func TestCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds tinykube")
	}
	bin := buildTinykube(t)
	run := func(t *testing.T, args ...string) (stdout, stderr string, err error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG=")
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err = cmd.Run()
		return o.String(), e.String(), err
	}

	t.Run("version", func(t *testing.T) {
		flag, _, err := run(t, "--version")
		if err != nil {
			t.Fatalf("tinykube --version: %v", err)
		}
		sub, _, err := run(t, "version")
		if err != nil {
			t.Fatalf("tinykube version: %v", err)
		}
		if !regexp.MustCompile(`^tinykube v\S+ \(Kubernetes API 1\.\d+, go\S+\)\n$`).MatchString(flag) {
			t.Errorf("tinykube --version printed %q", flag)
		}
		if flag != sub {
			t.Errorf("tinykube --version printed %q, tinykube version %q", flag, sub)
		}
	})

	// Every command takes -v N and --logging-format, as upstream's
	// components do; those that talk to an API server take --kubeconfig
	// and say that KUBECONFIG is its default.
	t.Run("logging-flags", func(t *testing.T) {
		apiClients := []string{"controller-manager", "scheduler", "node"}
		for _, c := range []string{"server", "apiserver", "controller-manager", "scheduler", "node", "version", "images", "bench"} {
			out, stderr, err := run(t, c, "-v", "4", "--v=2", "--logging-format", "json", "--help")
			if err != nil {
				t.Errorf("tinykube %s -v 4 --v=2 --logging-format json --help: %v\n%s", c, err, stderr)
				continue
			}
			for _, want := range []string{"-v, --v int", "--logging-format string"} {
				if !strings.Contains(out, want) {
					t.Errorf("tinykube %s --help lists no %q:\n%s", c, want, out)
				}
			}
			if slices.Contains(apiClients, c) && !strings.Contains(out, "$KUBECONFIG") {
				t.Errorf("tinykube %s --help: --kubeconfig does not mention $KUBECONFIG:\n%s", c, out)
			}
		}
		if _, stderr, err := run(t, "version", "--logging-format", "xml"); err == nil || !strings.Contains(stderr, "--logging-format") {
			t.Errorf("--logging-format xml: err %v, stderr %q", err, stderr)
		}
		// Without --kubeconfig or KUBECONFIG: a message that says so,
		// not a guess at localhost:8080.
		for _, c := range apiClients {
			_, stderr, err := run(t, c, "--kubeconfig", "", "-v", "2")
			if err == nil || !strings.Contains(stderr, "KUBECONFIG") || strings.Contains(stderr, "8080") {
				t.Errorf("tinykube %s with no kubeconfig: err %v, stderr %q", c, err, stderr)
			}
		}
	})

	// A port already in use: the start fails, non-zero, saying why, and
	// the data dir is as it was (no stray pki/).
	t.Run("busy-port", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		base := t.TempDir()
		fresh := filepath.Join(base, "fresh")
		empty := filepath.Join(base, "empty")
		used := filepath.Join(base, "used")
		for _, d := range []string{empty, used} {
			if err := os.Mkdir(d, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(used, "notes.txt"), []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, dir := range []string{fresh, empty, used} {
			before := listTree(t, dir)
			_, stderr, err := run(t, "server", "--data-dir", dir, "--secure-port", port, "--unsafe-no-fsync")
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
				t.Errorf("server on a busy port (data dir %s): err %v, want a non-zero exit", filepath.Base(dir), err)
			}
			if !strings.Contains(stderr, "address already in use") {
				t.Errorf("server on a busy port: stderr does not say why:\n%s", stderr)
			}
			if after := listTree(t, dir); !slices.Equal(before, after) {
				t.Errorf("data dir %s: before %q, after the failed start %q", filepath.Base(dir), before, after)
			}
		}
	})
}

// listTree lists every path under dir ("<absent>" if dir does not exist).
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		return []string{"<absent>"}
	}
	var out []string
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
