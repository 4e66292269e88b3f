package imagetest

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// BusyboxPath is where Debian's busybox-static installs busybox.
const BusyboxPath = "/bin/busybox"

// File is one entry of an image layer: a regular file with Data and
// Mode (permissions, and os.ModeSetuid/os.ModeSetgid), or a symbolic
// link to Link. Parent directories are added. Every entry is root's.
type File struct {
	Path string
	Mode os.FileMode
	Data []byte
	Link string
}

// Build makes a one-layer linux image for this machine's architecture
// from files, with cfg (entrypoint, cmd, env…) as its config. Image,
// config and layer use OCI media types.
func Build(files []File, cfg v1.Config) (v1.Image, error) {
	layerTar, err := tarFiles(files)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	if img, err = mutate.AppendLayers(img, layer); err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config = cfg
	if len(cf.Config.Env) == 0 {
		cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	return mutate.ConfigFile(img, cf)
}

// tarFiles writes files, sorted and with their parent directories, as
// an uncompressed tar with fixed times, so equal files give equal
// digests.
func tarFiles(files []File) ([]byte, error) {
	byPath := map[string]File{}
	dirs := map[string]bool{}
	for _, f := range files {
		p := strings.TrimPrefix(path.Clean("/"+f.Path), "/")
		if p == "" {
			return nil, fmt.Errorf("imagetest: file with an empty path")
		}
		if _, dup := byPath[p]; dup {
			return nil, fmt.Errorf("imagetest: %s given twice", p)
		}
		byPath[p] = f
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	var names []string
	for d := range dirs {
		if _, isFile := byPath[d]; isFile {
			return nil, fmt.Errorf("imagetest: %s is both a file and a directory", d)
		}
		names = append(names, d+"/")
	}
	for p := range byPath {
		names = append(names, p)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(0, 0)
	for _, n := range names {
		hdr := &tar.Header{Name: n, ModTime: mtime, Format: tar.FormatPAX}
		if strings.HasSuffix(n, "/") {
			hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
		} else if f := byPath[n]; f.Link != "" {
			hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, f.Link, 0o777
		} else {
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, int64(f.Mode.Perm()), int64(len(f.Data))
			if hdr.Mode == 0 {
				hdr.Mode = 0o644
			}
			if f.Mode&os.ModeSetuid != 0 {
				hdr.Mode |= 0o4000 // c_ISUID
			}
			if f.Mode&os.ModeSetgid != 0 {
				hdr.Mode |= 0o2000 // c_ISGID
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write(byPath[n].Data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// BusyboxFiles are /bin/busybox and a symbolic link to it for each of
// its applets (what `busybox --install -s` makes), plus /tmp and an
// /etc/passwd with root and nobody.
func BusyboxFiles() ([]File, error) {
	data, err := os.ReadFile(BusyboxPath)
	if err != nil {
		return nil, fmt.Errorf("imagetest: %w (install busybox-static)", err)
	}
	out, err := exec.Command(BusyboxPath, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("imagetest: busybox --list-full: %w", err)
	}
	files := []File{
		{Path: "bin/busybox", Mode: 0o755, Data: data},
		{Path: "etc/passwd", Mode: 0o644, Data: []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")},
		{Path: "etc/group", Mode: 0o644, Data: []byte("root:x:0:\nnogroup:x:65534:\n")},
		{Path: "tmp/.keep", Mode: 0o644},
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "bin/busybox" {
			continue
		}
		files = append(files, File{Path: applet, Link: "/bin/busybox"})
	}
	return files, nil
}

// Busybox is an image of busybox with its applets; it runs sh by default.
func Busybox(t testing.TB) v1.Image {
	t.Helper()
	files, err := BusyboxFiles()
	if err != nil {
		t.Skip(err)
	}
	img, err := Build(files, v1.Config{Cmd: []string{"sh"}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestServer is an image of busybox plus /testserver (the
// test/images/testserver binary) as its entrypoint, running `netexec`
// (HTTP on 8080) unless the container gives other args.
func TestServer(t testing.TB) v1.Image {
	t.Helper()
	files, err := BusyboxFiles()
	if err != nil {
		t.Skip(err)
	}
	bin, err := os.ReadFile(TestServerBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, File{Path: "testserver", Mode: 0o755, Data: bin})
	img, err := Build(files, v1.Config{Entrypoint: []string{"/testserver"}, Cmd: []string{"netexec"}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

var buildMu sync.Mutex

// TestServerBinary builds test/images/testserver (static) into a cache
// directory ($TINYKUBE_CACHE, else the user cache dir) under a name keyed
// on its sources and the Go version, and returns its path; later runs
// reuse it.
func TestServerBinary(t testing.TB) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	src := filepath.Join(moduleRoot(t), "test", "images", "testserver")
	h := sha256.New()
	sources, _ := filepath.Glob(filepath.Join(src, "*.go"))
	for _, f := range sources {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(b))
		h.Write(b)
	}
	fmt.Fprintf(h, "%s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	dir := os.Getenv("TINYKUBE_CACHE")
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		dir = filepath.Join(base, "tinykube")
	}
	bin := filepath.Join(dir, "testserver-"+hex.EncodeToString(h.Sum(nil))[:12])
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := fmt.Sprintf("%s.tmp%d", bin, os.Getpid())
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	cmd := exec.Command(goTool, "build", "-trimpath", "-ldflags=-s -w", "-o", tmp, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building testserver: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// moduleRoot is the directory holding tinykube's go.mod, found from the
// test's working directory.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(b, []byte("module github.com/tinykube/tinykube\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("tinykube's go.mod not found above the test directory")
		}
		dir = parent
	}
}
