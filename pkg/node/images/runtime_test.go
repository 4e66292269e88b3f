package images_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/internal/imagetest"
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
	endpoint := imagetest.StartContainerd(t)
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return criImages{runtimeapi.NewImageServiceClient(conn)}
}
