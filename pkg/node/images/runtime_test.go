package images_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/pkg/node/images"
)

// criImages adapts a CRI image service client to images.Service.
// TODO(img): use pkg/node/cri once the foundation lands.
type criImages struct{ c runtimeapi.ImageServiceClient }

func (c criImages) ListImages(ctx context.Context, f *runtimeapi.ImageFilter) ([]*runtimeapi.Image, error) {
	r, err := c.c.ListImages(ctx, &runtimeapi.ListImagesRequest{Filter: f})
	return r.GetImages(), err
}

func (c criImages) ImageStatus(ctx context.Context, s *runtimeapi.ImageSpec, v bool) (*runtimeapi.ImageStatusResponse, error) {
	return c.c.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: s, Verbose: v})
}

func (c criImages) PullImage(ctx context.Context, s *runtimeapi.ImageSpec, a *runtimeapi.AuthConfig, sb *runtimeapi.PodSandboxConfig) (string, error) {
	r, err := c.c.PullImage(ctx, &runtimeapi.PullImageRequest{Image: s, Auth: a, SandboxConfig: sb})
	return r.GetImageRef(), err
}

// startRuntime starts a private containerd for the test and returns its
// image service.
func startRuntime(t *testing.T) images.Service {
	t.Helper()
	if _, err := exec.LookPath("containerd"); err != nil {
		t.Skip("containerd not installed (apt-get install containerd runc)")
	}
	if os.Geteuid() != 0 {
		t.Skip("a real containerd needs root")
	}
	dir, err := os.MkdirTemp("", "tkimg")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "c.sock")
	cfg := fmt.Sprintf("version = 2\nroot = %q\nstate = %q\n[grpc]\n  address = %q\n[ttrpc]\n  address = %q\n"+
		"[plugins.\"io.containerd.grpc.v1.cri\"]\n  restrict_oom_score_adj = true\n",
		filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock, sock+".ttrpc")
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("containerd", "--config", filepath.Join(dir, "config.toml"))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		log.Close()
		exec.Command("umount", "-R", filepath.Join(dir, "root")).Run()
		os.RemoveAll(dir)
	})
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	svc := criImages{runtimeapi.NewImageServiceClient(conn)}
	controllertest.Eventually(t, "containerd serving CRI", func(ctx context.Context) (bool, error) {
		_, err := svc.ListImages(ctx, nil)
		return err == nil, nil
	})
	return svc
}
