package imagetest

import (
	"archive/tar"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestBusyboxImage(t *testing.T) {
	img := Busybox(t)
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %d, %v; want 1", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	entries := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		entries[hdr.Name] = hdr
	}
	if h := entries["bin/busybox"]; h == nil || h.Mode&0o111 == 0 {
		t.Errorf("bin/busybox missing or not executable: %+v", h)
	}
	for _, applet := range []string{"bin/sh", "bin/cat", "bin/sleep"} {
		if h := entries[applet]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "/bin/busybox" {
			t.Errorf("%s: %+v, want a link to /bin/busybox", applet, h)
		}
	}
	if entries["bin/"] == nil || entries["tmp/"] == nil {
		t.Errorf("parent directories missing")
	}
	cf, err := img.ConfigFile()
	if err != nil || cf.OS != "linux" || cf.Architecture == "" || len(cf.Config.Cmd) != 1 {
		t.Errorf("config: %+v, %v", cf, err)
	}

	// Building twice gives the same digest.
	d1, _ := img.Digest()
	d2, _ := Busybox(t).Digest()
	if d1 != d2 {
		t.Errorf("digests differ: %s, %s", d1, d2)
	}
}

// TestBuildSetuid: a File's os.ModeSetuid and os.ModeSetgid reach the
// layer as the tar mode's set-user-ID and set-group-ID bits (the
// nonewprivs stand-in's program is set-user-ID root, as upstream's).
func TestBuildSetuid(t *testing.T) {
	img, err := Build([]File{{Path: "usr/local/bin/nnp", Mode: 0o755 | os.ModeSetuid, Data: []byte("x")},
		{Path: "g", Mode: 0o755 | os.ModeSetgid, Data: []byte("y")}, {Path: "plain", Mode: 0o755}}, v1.Config{})
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	modes := map[string]int64{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		modes[hdr.Name] = hdr.Mode
	}
	for name, want := range map[string]int64{"usr/local/bin/nnp": 0o4755, "g": 0o2755, "plain": 0o755} {
		if modes[name] != want {
			t.Errorf("%s: mode %o, want %o", name, modes[name], want)
		}
	}
}

func TestBuildRejectsBadFiles(t *testing.T) {
	for _, files := range [][]File{
		{{Path: "/"}},
		{{Path: "a"}, {Path: "/a"}},
		{{Path: "a"}, {Path: "a/b"}},
	} {
		if _, err := Build(files, v1.Config{}); err == nil {
			t.Errorf("Build(%+v): want an error", files)
		}
	}
}

func TestRegistryPushPull(t *testing.T) {
	img := TestServer(t)
	reg := StartRegistry(t)
	ref := reg.Push(t, "testserver:1", img)
	got, err := remote.Image(mustRef(t, ref))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	if d, _ := got.Digest(); d != want {
		t.Errorf("pulled %s, pushed %s", d, want)
	}
	cf, _ := got.ConfigFile()
	if len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/testserver" {
		t.Errorf("entrypoint %q", cf.Config.Entrypoint)
	}
}

func TestPrivateRegistry(t *testing.T) {
	reg := StartPrivateRegistry(t, "alice", "s3cret")
	ref := reg.Push(t, "private/busybox:1", Busybox(t))
	if _, err := remote.Image(mustRef(t, ref)); !isStatus(err, http.StatusUnauthorized) {
		t.Errorf("anonymous pull: %v, want 401", err)
	}
	if _, err := remote.Image(mustRef(t, ref), remote.WithAuth(&authn.Basic{Username: "alice", Password: "wrong"})); !isStatus(err, http.StatusUnauthorized) {
		t.Errorf("wrong password: %v, want 401", err)
	}
	if _, err := remote.Image(mustRef(t, ref), remote.WithAuth(&authn.Basic{Username: "alice", Password: "s3cret"})); err != nil {
		t.Errorf("pull with credentials: %v", err)
	}
}

func TestArchives(t *testing.T) {
	img := Busybox(t)
	want, _ := img.Digest()
	dir := t.TempDir()

	docker := filepath.Join(dir, "docker.tar")
	if err := WriteDockerArchive(docker, "example.com/busybox:1", img); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("example.com/busybox:1")
	got, err := tarball.ImageFromPath(docker, &tag)
	if err != nil {
		t.Fatal(err)
	}
	wantID, _ := img.ConfigName()
	if id, _ := got.ConfigName(); id != wantID { // docker archives keep the config, not the manifest
		t.Errorf("docker archive holds image %s, want %s", id, wantID)
	}

	oci := filepath.Join(dir, "oci.tar")
	if err := WriteOCIArchive(oci, "example.com/busybox:1", img); err != nil {
		t.Fatal(err)
	}
	names := tarNames(t, oci)
	for _, n := range []string{"oci-layout", "index.json", "blobs/sha256/" + want.Hex} {
		if !names[n] {
			t.Errorf("OCI archive lacks %s (has %v)", n, names)
		}
	}
	if err := WriteOCIArchive(oci, "not a reference", img); err == nil {
		t.Error("bad reference: want an error")
	}
}

func tarNames(t *testing.T, file string) map[string]bool {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]bool{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names[hdr.Name] = true
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func isStatus(err error, code int) bool {
	var te *transport.Error
	return errors.As(err, &te) && te.StatusCode == code
}
