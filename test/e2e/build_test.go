package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// moduleRoot is the directory holding tinykube's go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func goTool(t *testing.T) string {
	t.Helper()
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go tool not found: %v", err)
	}
	return p
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// goBuild runs `go build -o out ldflags pkg` in the module root.
func goBuild(t *testing.T, root, out, pkg, ldflags string) {
	t.Helper()
	args := []string{"build", "-o", out}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	cmd := exec.Command(goTool(t), append(args, pkg)...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

// buildTinykube builds ./cmd/tinykube into a temp dir of t.
func buildTinykube(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "tinykube")
	goBuild(t, moduleRoot(t), out, "./cmd/tinykube", "")
	return out
}

// kubectlModule returns the k8s.io/kubectl version required in go.mod
// (v0.37.2 → kubectl v1.37.2).
func kubectlModule(t *testing.T, root string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "require "))
		if len(fields) >= 2 && fields[0] == "k8s.io/kubectl" {
			return fields[1]
		}
	}
	t.Fatal("k8s.io/kubectl is not required in go.mod")
	return ""
}

// buildKubectl builds upstream kubectl from ./test/e2e/kubectl into a
// cache directory ($TINYKUBE_CACHE, else the user cache dir) under a
// name keyed on everything that decides its bytes, so later runs reuse
// it. CI caches nothing: there it is one `go build`.
func buildKubectl(t *testing.T) string {
	t.Helper()
	root := moduleRoot(t)
	modVersion := kubectlModule(t, root)
	version := "v1" + strings.TrimPrefix(modVersion, "v0") // v0.37.2 → v1.37.2
	minor := strings.Split(version, ".")[1]

	h := sha256.New()
	for _, f := range []string{"go.sum", "test/e2e/kubectl/main.go"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	fmt.Fprintf(h, "%s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	sum := hex.EncodeToString(h.Sum(nil))[:12]

	dir := cacheDir()
	bin := filepath.Join(dir, fmt.Sprintf("kubectl-%s-%s", version, sum))
	if fileExists(bin) {
		return bin
	}
	if testing.Short() {
		t.Skipf("-short: not building kubectl %s (no cached %s)", version, bin)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The version stamps upstream's release build sets, so `kubectl
	// version` reports a real version and skew checks work.
	var ld bytes.Buffer
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		fmt.Fprintf(&ld, "-X %s.gitVersion=%s -X %s.gitMajor=1 -X %s.gitMinor=%s -X %s.gitTreeState=clean ",
			pkg, version, pkg, pkg, minor, pkg)
	}
	ld.WriteString("-s -w")
	tmp := fmt.Sprintf("%s.tmp%d", bin, os.Getpid())
	goBuild(t, root, tmp, "./test/e2e/kubectl", ld.String())
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// cacheDir is where built tools are kept between runs: $TINYKUBE_CACHE,
// else tinykube/ in the user cache dir.
func cacheDir() string {
	if dir := os.Getenv("TINYKUBE_CACHE"); dir != "" {
		return dir
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "tinykube")
}

// requiredVersion returns the version of module that the go.mod at path
// requires, or "".
func requiredVersion(t *testing.T, path, module string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(fields) >= 2 && fields[0] == module {
			return fields[1]
		}
	}
	return ""
}

// buildGoTool builds pkg, a `tool` of the separate module in
// test/tools/<name> (its own go.mod, so a tool's dependencies never move
// tinykube's), with ldflags, into the cache directory under a name keyed
// on that module's go.mod and go.sum, ldflags and the Go version; later
// runs and later tests of the same binary reuse it. The build itself is
// `go build` in that module, which shares GOCACHE with every other build.
func buildGoTool(t *testing.T, name, pkg, ldflags string) string {
	t.Helper()
	modDir := filepath.Join(moduleRoot(t), "test", "tools", name)
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(modDir, f))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	fmt.Fprintf(h, "%s %s %s/%s %s", pkg, runtime.Version(), runtime.GOOS, runtime.GOARCH, ldflags)
	sum := hex.EncodeToString(h.Sum(nil))[:12]
	dir := cacheDir()
	bin := filepath.Join(dir, fmt.Sprintf("%s-%s", name, sum))
	if fileExists(bin) {
		return bin
	}
	if testing.Short() {
		t.Skipf("-short: not building %s (no cached %s)", name, bin)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := fmt.Sprintf("%s.tmp%d", bin, os.Getpid())
	start := time.Now()
	cmd := exec.Command(goTool(t), "build", "-o", tmp, "-ldflags", ldflags, pkg)
	cmd.Dir = modDir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s (in %s): %v\n%s", pkg, modDir, err, b)
	}
	t.Logf("built %s in %s", name, time.Since(start).Round(time.Second))
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// preinstalledKubectl is the machine's kubectl (1.32 on the dev and CI
// images), or "" if there is none.
func preinstalledKubectl() string {
	if fileExists("/usr/bin/kubectl") {
		return "/usr/bin/kubectl"
	}
	p, _ := exec.LookPath("kubectl")
	return p
}
