package images

import (
	"strings"
	"testing"
)

func TestParseReference(t *testing.T) {
	for _, tc := range []struct {
		in                      string
		repo, tag, digest, dflt string
	}{
		{"busybox", "docker.io/library/busybox", "latest", "", "busybox:latest"},
		{"busybox:1.36", "docker.io/library/busybox", "1.36", "", "busybox:1.36"},
		{"team/app", "docker.io/team/app", "latest", "", "team/app:latest"},
		{"127.0.0.1:5000/app", "127.0.0.1:5000/app", "latest", "", "127.0.0.1:5000/app:latest"},
		{"127.0.0.1:5000/a/b:v1", "127.0.0.1:5000/a/b", "v1", "", "127.0.0.1:5000/a/b:v1"},
		{"registry.k8s.io/e2e-test-images/agnhost:2.53", "registry.k8s.io/e2e-test-images/agnhost", "2.53", "", "registry.k8s.io/e2e-test-images/agnhost:2.53"},
		{"busybox@sha256:" + strings.Repeat("a", 64), "docker.io/library/busybox", "", "sha256:" + strings.Repeat("a", 64), "busybox@sha256:" + strings.Repeat("a", 64)},
		{"busybox:1@sha256:" + strings.Repeat("b", 64), "docker.io/library/busybox", "1", "sha256:" + strings.Repeat("b", 64), "busybox:1@sha256:" + strings.Repeat("b", 64)},
		{"localhost/app", "localhost/app", "latest", "", "localhost/app:latest"},
	} {
		r, err := ParseReference(tc.in)
		if err != nil || r.Repository != tc.repo || r.Tag != tc.tag || r.Digest != tc.digest {
			t.Errorf("ParseReference(%q) = %+v, %v; want %s %s %s", tc.in, r, err, tc.repo, tc.tag, tc.digest)
		}
		if got, err := WithDefaultTag(tc.in); err != nil || got != tc.dflt {
			t.Errorf("WithDefaultTag(%q) = %q, %v; want %q", tc.in, got, err, tc.dflt)
		}
	}
	for _, bad := range []string{"", "BusyBox", "busybox:", ":tag", "busybox@sha256:short", "a b", "busybox:" + strings.Repeat("t", 129), "-x/y", "http://example.com/x"} {
		if r, err := ParseReference(bad); err == nil {
			t.Errorf("ParseReference(%q) = %+v; want an error", bad, r)
		} else if !strings.Contains(err.Error(), "couldn't parse image name") {
			t.Errorf("ParseReference(%q): %v", bad, err)
		}
	}
}

// FuzzParseReference: any input parses or fails cleanly; what parses,
// with its default tag, parses again to the same reference.
func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"busybox", "a/b:c", "127.0.0.1:5000/x@sha256:" + strings.Repeat("0", 64), "UPPER", "x:", "::", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			return
		}
		if r.Repository == "" || (r.Tag == "" && r.Digest == "") {
			t.Fatalf("ParseReference(%q) = %+v: empty parts", s, r)
		}
		full, err := WithDefaultTag(s)
		if err != nil {
			t.Fatalf("WithDefaultTag(%q): %v", s, err)
		}
		again, err := ParseReference(full)
		if err != nil || again != r {
			t.Fatalf("%q → %q parses to %+v, %v; want %+v", s, full, again, err, r)
		}
	})
}
