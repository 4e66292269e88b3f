package images

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/internal/imagetest"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := NewCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// TestImportAndList imports a docker archive and an OCI layout tar into a
// real containerd, then lists them as crictl would.
func TestImportAndList(t *testing.T) {
	endpoint := imagetest.StartContainerd(t)
	dir := t.TempDir()
	busybox := imagetest.Busybox(t)
	docker, oci := filepath.Join(dir, "docker.tar"), filepath.Join(dir, "oci.tar")
	if err := imagetest.WriteDockerArchive(docker, "example.com/docker/busybox:1", busybox); err != nil {
		t.Fatal(err)
	}
	if err := imagetest.WriteOCIArchive(oci, "example.com/oci/busybox:2", busybox); err != nil {
		t.Fatal(err)
	}
	id, _ := busybox.ConfigName()
	short := id.Hex[:13]

	out, err := run(t, "import", docker, oci, "--container-runtime-endpoint", endpoint)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	for _, want := range []string{"imported example.com/docker/busybox:1 (" + short + ")", "imported example.com/oci/busybox:2 (" + short + ")"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	if out, err := run(t, "import", docker, "--container-runtime-endpoint", endpoint); err != nil || !strings.Contains(out, "nothing new") {
		t.Errorf("second import: %v\n%s", err, out)
	}

	out, err = run(t, "ls", "--container-runtime-endpoint", endpoint)
	if err != nil {
		t.Fatalf("ls: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if strings.Join(strings.Fields(lines[0]), " ") != "IMAGE TAG IMAGE ID SIZE" {
		t.Fatalf("ls output:\n%s", out)
	}
	var rows []string // ours; the node's pause image is there too
	for _, l := range lines[1:] {
		if f := strings.Fields(l); strings.HasPrefix(l, "example.com/") && len(f) == 4 && strings.HasSuffix(f[3], "B") {
			rows = append(rows, strings.Join(f[:3], " "))
		}
	}
	want := []string{"example.com/docker/busybox 1 " + short, "example.com/oci/busybox 2 " + short}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("ls rows %q, want %q\n%s", rows, want, out)
	}
}

func TestBadInput(t *testing.T) {
	endpoint := imagetest.StartContainerd(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"import", filepath.Join(dir, "missing.tar"), "--container-runtime-endpoint", endpoint}, "missing.tar"},
		{[]string{"import", "/etc/hostname", "--container-runtime-endpoint", endpoint}, "importing /etc/hostname"},
		{[]string{"import", "--container-runtime-endpoint", endpoint}, "requires at least 1 arg"},
		{[]string{"ls", "--container-runtime-endpoint", "unix://" + filepath.Join(dir, "none.sock")}, "none.sock"},
		{[]string{"ls", "--data-dir", dir}, filepath.Join(dir, "containerd")},
	} {
		if out, err := run(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error mentioning %q\n%s", tc.args, err, tc.want, out)
		}
	}
}

func TestPrintImages(t *testing.T) {
	var out bytes.Buffer
	printImages(&out, []*runtimeapi.Image{
		{Id: "sha256:0123456789abcdef", RepoTags: []string{"127.0.0.1:5000/a/b:v1", "busybox:latest"}, Size: 1150456},
		{Id: "sha256:fedcba9876543210", RepoDigests: []string{"r.io/x@sha256:aa"}, Size: 999},
		{Id: "sha256:1111111111111111", Size: 2_500_000_000},
	})
	want := `IMAGE                TAG      IMAGE ID        SIZE
127.0.0.1:5000/a/b   v1       0123456789abc   1.15MB
<none>               <none>   1111111111111   2.5GB
busybox              latest   0123456789abc   1.15MB
r.io/x               <none>   fedcba9876543   999B
`
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
