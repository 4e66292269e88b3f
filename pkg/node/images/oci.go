package images

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
	"time"
)

// File is one entry of an image's single layer: a regular file (Data) or,
// when Link is set, a symbolic link to Link. Directories leading to it
// are added as needed.
type File struct {
	Name string // absolute path in the image, e.g. "/bin/sh"
	Mode int64  // permission bits of a regular file (0 means 0644)
	Data []byte
	Link string
}

// Image is a one-layer Linux image.
type Image struct {
	// Ref names the image once imported, e.g. "registry.k8s.io/pause:3.10"
	// or "tinykube.test/busybox:1".
	Ref string
	// Arch is the GOARCH it runs on ("" = this machine's).
	Arch       string
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkingDir string
	// User the entrypoint runs as ("uid[:gid]"; "" = root).
	User  string
	Files []File
}

// epoch is the fixed time stamped into layers, so that building the same
// image twice gives the same digests.
var epoch = time.Unix(0, 0).UTC()

// WriteOCIArchive writes img as a tar of an OCI image layout (oci-layout,
// index.json, blobs/sha256/…): the format `ctr images import` reads. The
// index's annotations carry the image name.
func WriteOCIArchive(w io.Writer, img Image) error {
	if img.Ref == "" {
		return fmt.Errorf("image: no reference")
	}
	arch := img.Arch
	if arch == "" {
		arch = runtime.GOARCH
	}
	layer, diffID, err := buildLayer(img.Files)
	if err != nil {
		return err
	}
	config, err := json.Marshal(map[string]any{
		"architecture": arch, "os": "linux", "created": epoch.Format(time.RFC3339),
		"config": map[string]any{"Entrypoint": img.Entrypoint, "Cmd": img.Cmd, "Env": img.Env, "WorkingDir": img.WorkingDir, "User": img.User},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{diffID}},
	})
	if err != nil {
		return err
	}
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": descriptor("application/vnd.oci.image.config.v1+json", config, nil),
		"layers": []any{descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer, nil)},
	})
	if err != nil {
		return err
	}
	tag := img.Ref[strings.LastIndex(img.Ref, ":")+1:]
	if strings.Contains(tag, "/") || !strings.Contains(img.Ref, ":") {
		tag = "latest"
	}
	md := descriptor("application/vnd.oci.image.manifest.v1+json", manifest, map[string]string{
		// containerd's importer names the image after the first;
		// other tools read the second (a tag only, per the spec).
		"io.containerd.image.name":          img.Ref,
		"org.opencontainers.image.ref.name": tag,
	})
	md["platform"] = map[string]string{"architecture": arch, "os": "linux"}
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []any{md},
	})
	if err != nil {
		return err
	}

	tw := tar.NewWriter(w)
	add := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: epoch, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	for _, blob := range [][]byte{layer, config, manifest} {
		if err := add("blobs/sha256/"+hexDigest(blob), blob); err != nil {
			return err
		}
	}
	if err := add("index.json", index); err != nil {
		return err
	}
	return tw.Close()
}

// WriteOCIArchiveFile writes img to the file at p.
func WriteOCIArchiveFile(p string, img Image) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if err := WriteOCIArchive(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// buildLayer returns the gzipped layer tar and its diff ID (the digest
// of the uncompressed tar).
func buildLayer(files []File) (gz []byte, diffID string, err error) {
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	dirs := map[string]bool{"/": true}
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, f := range sorted {
		name := path.Clean("/" + f.Name)
		if name == "/" {
			return nil, "", fmt.Errorf("image: file with no name")
		}
		// Parent directories first.
		var parents []string
		for d := path.Dir(name); !dirs[d]; d = path.Dir(d) {
			parents = append([]string{d}, parents...)
			dirs[d] = true
		}
		for _, d := range parents {
			if err := tw.WriteHeader(&tar.Header{Name: d[1:] + "/", Mode: 0o755, ModTime: epoch, Typeflag: tar.TypeDir}); err != nil {
				return nil, "", err
			}
		}
		h := &tar.Header{Name: name[1:], ModTime: epoch}
		if f.Link != "" {
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, f.Link, 0o777
		} else {
			h.Typeflag, h.Mode, h.Size = tar.TypeReg, f.Mode, int64(len(f.Data))
			if h.Mode == 0 {
				h.Mode = 0o644
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, "", err
		}
		if f.Link == "" {
			if _, err := tw.Write(f.Data); err != nil {
				return nil, "", err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, "", err
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, "", err
	}
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	return out.Bytes(), "sha256:" + hexDigest(raw.Bytes()), nil
}

func hexDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func descriptor(mediaType string, blob []byte, annotations map[string]string) map[string]any {
	d := map[string]any{"mediaType": mediaType, "digest": "sha256:" + hexDigest(blob), "size": len(blob)}
	if annotations != nil {
		d["annotations"] = annotations
	}
	return d
}

// Busybox returns an image of the static busybox binary at bin (Debian's
// busybox-static installs /bin/busybox) with sh, echo, sleep, cat and
// the other applets named in applets linked to it, and /tmp.
func Busybox(ref, bin string, applets ...string) (Image, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return Image{}, fmt.Errorf("busybox image: %w", err)
	}
	if len(applets) == 0 {
		applets = []string{"sh", "echo", "sleep", "cat", "ls", "env", "true", "false", "wc", "grep", "hostname", "id", "ps", "kill", "mkdir", "rm", "touch", "date", "nc", "wget", "test", "tail", "head", "ip", "nslookup", "printenv", "pwd", "stat", "dd", "tee", "mount", "df", "find", "chmod", "uname", "sed", "awk", "xargs"}
	}
	img := Image{Ref: ref, Cmd: []string{"sh"}, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		Files: []File{{Name: "/bin/busybox", Mode: 0o755, Data: data}, {Name: "/tmp/.keep", Data: nil}, {Name: "/etc/passwd", Data: []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")}, {Name: "/etc/group", Data: []byte("root:x:0:\nnogroup:x:65534:\n")}}}
	for _, a := range applets {
		img.Files = append(img.Files, File{Name: "/bin/" + a, Link: "busybox"})
	}
	return img, nil
}
