package main

import (
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/tinykube/tinykube/internal/imagetest"
)

// standIns are the e2e images built here and what each is. Images left
// out on purpose: gcr.io/k8s-authenticated-test/agnhost (tests expect
// it to need credentials), invalid.registry.k8s.io/… (must not exist),
// and those whose programs we do not build (etcd, sample-apiserver,
// nginx proper, CSI sidecars, perl, volume servers…).
var standIns = []struct {
	ref  string
	kind string // busybox, agnhost, nonewprivs
	cfg  v1.Config
	// html names the directory of k8s.io/kubernetes's test/images whose
	// html/ files (data.json and a picture, which the update-demo specs
	// read through pods/proxy) go in the image's root, as upstream's
	// Dockerfile copies them.
	html string
}{
	{"registry.k8s.io/e2e-test-images/busybox:1.37.0-2", "busybox", v1.Config{Cmd: []string{"sh"}}, ""},
	{"registry.k8s.io/e2e-test-images/busybox:1.36.1-1", "busybox", v1.Config{Cmd: []string{"sh"}}, ""},
	{"registry.k8s.io/e2e-test-images/agnhost:2.66.1", "agnhost", v1.Config{Entrypoint: []string{"/agnhost"}, Cmd: []string{"pause"}}, ""},
	{"registry.k8s.io/e2e-test-images/agnhost:2.55", "agnhost", v1.Config{Entrypoint: []string{"/agnhost"}, Cmd: []string{"pause"}}, ""},
	// glibc-dns-testing is Debian with dnsutils upstream: the DNS specs'
	// second querier runs dig and getent in it (nettools here).
	{"registry.k8s.io/e2e-test-images/glibc-dns-testing:2.1.1", "agnhost", v1.Config{Cmd: []string{"sh"}}, ""},
	// pause: agnhost's pause mode (tinykube's node uses its own pause image).
	{"registry.k8s.io/pause:3.10.2", "agnhost", v1.Config{Entrypoint: []string{"/agnhost", "pause"}}, ""},
	// nginx: an HTTP server on port 80 (agnhost netexec), not nginx.
	{"registry.k8s.io/e2e-test-images/nginx:1.27.0-2", "agnhost", v1.Config{Entrypoint: []string{"/agnhost", "netexec", "--http-port=80"}}, ""},
	{"registry.k8s.io/e2e-test-images/nginx:1.28.0-2", "agnhost", v1.Config{Entrypoint: []string{"/agnhost", "netexec", "--http-port=80"}}, ""},
	// kitten and nautilus are agnhost's test-webserver upstream too (with
	// a different picture).
	{"registry.k8s.io/e2e-test-images/kitten:1.8", "agnhost", v1.Config{Entrypoint: []string{"/agnhost"}, Cmd: []string{"test-webserver"}}, "kitten"},
	{"registry.k8s.io/e2e-test-images/nautilus:1.8", "agnhost", v1.Config{Entrypoint: []string{"/agnhost"}, Cmd: []string{"test-webserver"}}, "nautilus"},
	// nonewprivs: upstream's nnp (test/images/nonewprivs, which prints
	// its effective uid), built from the same source, set-user-ID root
	// in /usr/local/bin as upstream's Dockerfile has it; busybox in place
	// of Alpine.
	{"registry.k8s.io/e2e-test-images/nonewprivs:1.4", "nonewprivs", v1.Config{Cmd: []string{"nnp"}}, ""},
}

func main() {
	agnhost := flag.String("agnhost", "", "agnhost binary (static) to put in the agnhost-based images")
	out := flag.String("out", "e2e-images.tar", "OCI layout tar to write")
	nettools := flag.String("nettools", "", "hack/e2eimages/nettools binary (static): curl, dig, getent and nc in the agnhost-based images (needed with --agnhost)")
	k8sSrc := flag.String("k8s-src", "", "k8s.io/kubernetes source (module) dir, for the kitten and nautilus images' html files; without it those images are left out")
	nnp := flag.String("nnp", "", "upstream's nnp binary (static), for the nonewprivs image; without it that image is left out")
	flag.Parse()
	if err := run(*agnhost, *nettools, *k8sSrc, *nnp, *out); err != nil {
		fmt.Fprintln(os.Stderr, "e2eimages:", err)
		os.Exit(1)
	}
}

func run(agnhostPath, nettoolsPath, k8sSrc, nnpPath, out string) error {
	busybox, err := imagetest.BusyboxFiles()
	if err != nil {
		return err
	}
	busybox = allAppletsInBin(busybox)
	agnhost := busybox
	if agnhostPath != "" {
		bin, err := os.ReadFile(agnhostPath)
		if err != nil {
			return err
		}
		agnhost = append(append([]imagetest.File{}, busybox...), imagetest.File{Path: "agnhost", Mode: 0o755, Data: bin},
			imagetest.File{Path: "agnhost-2", Link: "agnhost"})
		if nettoolsPath == "" {
			return fmt.Errorf("--agnhost needs --nettools")
		}
		if agnhost, err = withNettools(agnhost, nettoolsPath); err != nil {
			return err
		}
		if agnhost, err = withDash(agnhost); err != nil {
			return err
		}
		if k8sSrc != "" {
			// As upstream's Dockerfile adds them: the StatefulSet specs'
			// readiness probes fetch /localhost.crt from test-webserver.
			for _, name := range []string{"localhost.crt", "localhost.key"} {
				data, err := os.ReadFile(filepath.Join(k8sSrc, "test", "images", "agnhost", "porter", name))
				if err != nil {
					return err
				}
				agnhost = append(agnhost, imagetest.File{Path: name, Mode: 0o644, Data: data})
			}
		}
	}
	nonewprivs := busybox
	if nnpPath != "" {
		bin, err := os.ReadFile(nnpPath)
		if err != nil {
			return err
		}
		nonewprivs = append(append([]imagetest.File{}, busybox...),
			imagetest.File{Path: "usr/local/bin/nnp", Mode: 0o755 | os.ModeSetuid, Data: bin})
	}
	// One layer per kind, shared by its images; only configs differ.
	base := map[string]v1.Image{}
	for kind, files := range map[string][]imagetest.File{"busybox": busybox, "agnhost": agnhost, "nonewprivs": nonewprivs} {
		if base[kind], err = imagetest.Build(files, v1.Config{}); err != nil {
			return err
		}
	}
	refs := map[string]v1.Image{}
	for _, s := range standIns {
		if s.kind == "agnhost" && agnhostPath == "" || s.kind == "nonewprivs" && nnpPath == "" || s.html != "" && k8sSrc == "" {
			continue
		}
		cfg := s.cfg
		cfg.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
		img, err := mutate.Config(base[s.kind], cfg)
		if err != nil {
			return fmt.Errorf("%s: %w", s.ref, err)
		}
		if s.html != "" {
			if img, err = withHTML(img, filepath.Join(k8sSrc, "test", "images", s.html, "html")); err != nil {
				return fmt.Errorf("%s: %w", s.ref, err)
			}
		}
		refs[s.ref] = img
		fmt.Println(s.ref)
	}
	return imagetest.WriteOCIArchiveRefs(out, refs)
}

// withNettools adds nettools as curl (upstream's agnhost has Alpine's;
// Debian busybox's wget has no connect timeout and no source address),
// dig and getent (Alpine's bind-tools upstream) and as nc in place of
// Debian busybox's, which lacks the -v, -u and -z of Alpine busybox's
// that the specs use.
func withNettools(files []imagetest.File, path string) ([]imagetest.File, error) {
	bin, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := []imagetest.File{}
	for _, f := range files {
		if f.Path != "usr/bin/nc" && f.Path != "bin/nc" {
			out = append(out, f)
		}
	}
	out = append(out, imagetest.File{Path: "usr/bin/nettools", Mode: 0o755, Data: bin})
	for _, name := range []string{"usr/bin/curl", "usr/bin/dig", "usr/bin/getent", "usr/bin/nc", "bin/nc"} {
		out = append(out, imagetest.File{Path: name, Link: "/usr/bin/nettools"})
	}
	return out, nil
}

// withDash makes the host's dash (Debian's, with the C library it links)
// /bin/sh: Debian builds busybox-static with FEATURE_SH_STANDALONE, so
// its sh runs its own applet for any name it has (nc) before looking in
// PATH, where nettools is. Alpine's busybox sh, upstream's, looks in
// PATH. dash is as POSIX as ash; busybox stays as /bin/ash.
func withDash(files []imagetest.File) ([]imagetest.File, error) {
	const dash = "/usr/bin/dash"
	libs, err := elfDeps(dash)
	if err != nil {
		return nil, fmt.Errorf("the host's dash: %w", err)
	}
	bin, err := os.ReadFile(dash)
	if err != nil {
		return nil, err
	}
	out := []imagetest.File{}
	for _, f := range files {
		if f.Path != "bin/sh" {
			out = append(out, f)
		}
	}
	out = append(out, imagetest.File{Path: "usr/bin/dash", Mode: 0o755, Data: bin},
		imagetest.File{Path: "bin/sh", Link: "/usr/bin/dash"})
	for _, l := range libs {
		data, err := os.ReadFile(l)
		if err != nil {
			return nil, err
		}
		out = append(out, imagetest.File{Path: strings.TrimPrefix(l, "/"), Mode: 0o755, Data: data})
	}
	return out, nil
}

// elfDeps are the paths of the ELF interpreter and the shared libraries
// bin needs (their DT_NEEDED, found in the usual multiarch directories;
// one level: the C library needs only the interpreter).
func elfDeps(bin string) ([]string, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return nil, err
			}
			out = append(out, strings.TrimRight(string(b), "\x00"))
		}
	}
	needed, err := f.ImportedLibraries()
	if err != nil {
		return nil, err
	}
	for _, n := range needed {
		found := ""
		for _, dir := range []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/lib", "/usr/lib"} {
			if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
				found = filepath.Join(dir, n)
				break
			}
		}
		if found == "" {
			return nil, fmt.Errorf("%s needs %s, not found", bin, n)
		}
		out = append(out, found)
	}
	return out, nil
}

// withHTML adds a layer with the files of dir in the root.
func withHTML(img v1.Image, dir string) (v1.Image, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []imagetest.File
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		files = append(files, imagetest.File{Path: e.Name(), Mode: 0o644, Data: b})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no files in %s", dir)
	}
	html, err := imagetest.Build(files, v1.Config{})
	if err != nil {
		return nil, err
	}
	layers, err := html.Layers()
	if err != nil {
		return nil, err
	}
	return mutate.AppendLayers(img, layers...)
}

// allAppletsInBin adds a /bin link for each busybox applet that Debian
// installs elsewhere (/sbin/sysctl, /usr/bin/…): upstream's busybox
// image has every applet in /bin, and specs run e.g. /bin/sysctl.
func allAppletsInBin(files []imagetest.File) []imagetest.File {
	have := map[string]bool{}
	for _, f := range files {
		have[f.Path] = true
	}
	out := files
	for _, f := range files {
		if f.Link != "/bin/busybox" {
			continue
		}
		if bin := "bin/" + path.Base(f.Path); !have[bin] {
			have[bin] = true
			out = append(out, imagetest.File{Path: bin, Link: "/bin/busybox"})
		}
	}
	return out
}
