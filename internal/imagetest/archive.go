package imagetest

import (
	"archive/tar"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// WriteDockerArchive writes img, tagged ref (e.g. "docker.io/library/busybox:1"),
// as a docker-archive tar (what `docker save` writes) to file.
func WriteDockerArchive(file, ref string, img v1.Image) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(file, tag, img)
}

// WriteOCIArchive writes img as a tar of an OCI image layout whose index
// names it ref: containerd's io.containerd.image.name annotation holds
// the full name and org.opencontainers.image.ref.name the tag, so that
// `ctr images import` (and so `tinykube images import`) restore it
// under ref.
func WriteOCIArchive(file, ref string, img v1.Image) error {
	return WriteOCIArchiveRefs(file, map[string]v1.Image{ref: img})
}

// WriteOCIArchiveRefs is WriteOCIArchive for several names at once; a
// blob shared by several images is stored once.
func WriteOCIArchiveRefs(file string, refs map[string]v1.Image) error {
	names := make([]string, 0, len(refs))
	for ref := range refs {
		names = append(names, ref)
	}
	sort.Strings(names)
	dir, err := os.MkdirTemp("", "imagetest-oci-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	for _, ref := range names {
		tag, err := name.NewTag(ref)
		if err != nil {
			return err
		}
		if err := p.AppendImage(refs[ref], layout.WithAnnotations(map[string]string{
			"io.containerd.image.name":          strings.Replace(tag.Name(), "index.docker.io/", "docker.io/", 1),
			"org.opencontainers.image.ref.name": tag.TagStr(),
		})); err != nil {
			return err
		}
	}
	return tarDir(file, dir)
}

// tarDir writes the tree under dir into a tar at file, paths relative
// to dir.
func tarDir(file, dir string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}
