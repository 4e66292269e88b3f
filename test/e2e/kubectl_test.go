package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// commandTimeout bounds every kubectl invocation.
const commandTimeout = 60 * time.Second

// kubectl runs one kubectl binary against one server, with its own HOME
// (so no user config, kuberc or discovery cache leaks in) and a default
// namespace given per call.
type kubectl struct {
	bin string
	env []string
}

func newKubectl(t *testing.T, bin, kubeconfig string) *kubectl {
	home := t.TempDir()
	env := []string{"KUBECONFIG=" + kubeconfig, "HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=C"}
	return &kubectl{bin: bin, env: env}
}

// with returns a copy of k whose commands also get env.
func (k *kubectl) with(env ...string) *kubectl {
	return &kubectl{bin: k.bin, env: append(append([]string(nil), k.env...), env...)}
}

func (k *kubectl) command(ctx context.Context, stdin string, args []string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, k.bin, args...)
	cmd.Env = k.env
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// exec runs kubectl args with stdin and returns stdout, stderr and the error.
func (k *kubectl) exec(stdin string, args []string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd, stdout, stderr := k.command(ctx, stdin, args)
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// run runs kubectl args, fails the test if it fails, returns stdout.
func (k *kubectl) run(t *testing.T, args ...string) string {
	t.Helper()
	return k.runIn(t, "", args...)
}

// runIn is run with stdin.
func (k *kubectl) runIn(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := k.exec(stdin, args)
	if err != nil {
		t.Fatalf("kubectl %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// fail runs kubectl args, expects it to fail with wantStderr in stderr,
// and returns stderr.
func (k *kubectl) fail(t *testing.T, wantStderr string, args ...string) string {
	t.Helper()
	out, errOut, err := k.exec("", args)
	if err == nil {
		t.Fatalf("kubectl %s: succeeded, want failure with %q\nstdout:\n%s", strings.Join(args, " "), wantStderr, out)
	}
	if !strings.Contains(errOut, wantStderr) {
		t.Fatalf("kubectl %s: stderr does not contain %q:\n%s", strings.Join(args, " "), wantStderr, errOut)
	}
	return errOut
}

// json runs kubectl args (which must ask for -o json) and decodes stdout
// into v.
func (k *kubectl) json(t *testing.T, v any, args ...string) {
	t.Helper()
	out := k.run(t, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("kubectl %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// background is a long-running kubectl (get --watch) whose stdout lines
// arrive on lines.
type background struct {
	lines  chan string
	stderr *bytes.Buffer
}

// start runs kubectl args in the background until t ends.
func (k *kubectl) start(t *testing.T, args ...string) *background {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd, _, stderr := k.command(ctx, "", args)
	cmd.Stdout = nil
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &background{lines: make(chan string, 100), stderr: stderr}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(b.lines)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			b.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		cmd.Wait() //nolint:errcheck // killed on purpose
	})
	return b
}

// expectLine waits up to timeout for a line matching re and returns it.
func (b *background) expectLine(t *testing.T, re string, timeout time.Duration) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(timeout)
	var seen []string
	for {
		select {
		case line, ok := <-b.lines:
			if !ok {
				t.Fatalf("background kubectl exited before a line matching %q; saw %q; stderr:\n%s", re, seen, b.stderr)
			}
			if rx.MatchString(line) {
				return line
			}
			seen = append(seen, line)
		case <-deadline:
			t.Fatalf("no line matching %q within %s; saw %q", re, timeout, seen)
		}
	}
}

// table splits kubectl's table output into rows of fields; row 0 is the
// header. Cells with spaces are not used in this session.
func table(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			rows = append(rows, strings.Fields(line))
		}
	}
	return rows
}

// expectHeader checks the header line of table output.
func expectHeader(t *testing.T, out, want string) [][]string {
	t.Helper()
	rows := table(out)
	if len(rows) == 0 || strings.Join(rows[0], " ") != want {
		t.Fatalf("table header: want %q, got:\n%s", want, out)
	}
	return rows
}

// row returns the table row whose column col equals value.
func row(t *testing.T, rows [][]string, col int, value string) []string {
	t.Helper()
	for _, r := range rows[1:] {
		if len(r) > col && r[col] == value {
			return r
		}
	}
	t.Fatalf("no row with column %d = %q in %q", col, value, rows)
	return nil
}

// expectCells checks that row r starts with want (cells compared in order;
// "*" matches any cell).
func expectCells(t *testing.T, r []string, want ...string) {
	t.Helper()
	if len(r) < len(want) {
		t.Fatalf("row %q: want at least cells %q", r, want)
	}
	for i, w := range want {
		if w != "*" && r[i] != w {
			t.Fatalf("row %q: cell %d = %q, want %q", r, i, r[i], w)
		}
	}
}

// expectMatch checks out against a regular expression.
func expectMatch(t *testing.T, out, re string) {
	t.Helper()
	if !regexp.MustCompile(re).MatchString(out) {
		t.Fatalf("output does not match %q:\n%s", re, out)
	}
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}
