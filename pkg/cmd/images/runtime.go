package images

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/pkg/node/images"
)

// TODO(img): replace with pkg/node/containerd and pkg/node/cri once the foundation lands.
const defaultDataDir = "tinykube-data"

func (f *Flags) endpoint() string {
	if f.Endpoint != "" {
		return f.Endpoint
	}
	return "unix://" + filepath.Join(f.DataDir, "containerd", "containerd.sock")
}

type criImages struct{ c runtimeapi.ImageServiceClient }

func (c criImages) ListImages(ctx context.Context, flt *runtimeapi.ImageFilter) ([]*runtimeapi.Image, error) {
	r, err := c.c.ListImages(ctx, &runtimeapi.ListImagesRequest{Filter: flt})
	return r.GetImages(), err
}
func (c criImages) ImageStatus(ctx context.Context, s *runtimeapi.ImageSpec, v bool) (*runtimeapi.ImageStatusResponse, error) {
	return c.c.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: s, Verbose: v})
}
func (c criImages) PullImage(ctx context.Context, s *runtimeapi.ImageSpec, a *runtimeapi.AuthConfig, sb *runtimeapi.PodSandboxConfig) (string, error) {
	r, err := c.c.PullImage(ctx, &runtimeapi.PullImageRequest{Image: s, Auth: a, SandboxConfig: sb})
	return r.GetImageRef(), err
}

func dial(ctx context.Context, f *Flags) (images.Service, func(), error) {
	conn, err := grpc.NewClient(f.endpoint(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, nil, err
	}
	return criImages{runtimeapi.NewImageServiceClient(conn)}, func() { conn.Close() }, nil
}

func importTar(ctx context.Context, ctr, endpoint, file string) error {
	if ctr == "" {
		ctr = "ctr"
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, ctr, "--address", strings.TrimPrefix(endpoint, "unix://"), "--namespace", "k8s.io", "images", "import", file)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("importing %s: %s: %w", file, bytes.TrimSpace(out.Bytes()), err)
	}
	return nil
}
