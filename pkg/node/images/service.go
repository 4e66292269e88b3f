package images

import (
	"context"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Service is the part of the CRI ImageService (k8s.io/cri-api
// ImageManagerService) the image manager needs, with the same method
// signatures, so a CRI client satisfies it as is. It must be safe for
// concurrent use.
type Service interface {
	// ListImages lists the images the runtime holds.
	ListImages(ctx context.Context, filter *runtimeapi.ImageFilter) ([]*runtimeapi.Image, error)
	// ImageStatus reports an image; a missing image is a response
	// without an image, not an error.
	ImageStatus(ctx context.Context, image *runtimeapi.ImageSpec, verbose bool) (*runtimeapi.ImageStatusResponse, error)
	// PullImage pulls an image with optional credentials and returns its
	// reference (the image ID).
	PullImage(ctx context.Context, image *runtimeapi.ImageSpec, auth *runtimeapi.AuthConfig, podSandboxConfig *runtimeapi.PodSandboxConfig) (string, error)
}
