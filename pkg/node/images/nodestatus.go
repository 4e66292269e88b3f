package images

import (
	"context"
	"sort"

	corev1 "k8s.io/api/core/v1"
)

// Limits of a Node's status.images, as the kubelet's defaults.
const (
	MaxNodeImages    = 50
	MaxNamesPerImage = 5
)

// NodeImages lists the runtime's images as a Node's status.images: the
// largest max (MaxNodeImages if max is 0; all if negative) first, each
// named by its repo digests then its repo tags, at most MaxNamesPerImage
// names.
func NodeImages(ctx context.Context, svc Service, max int) ([]corev1.ContainerImage, error) {
	imgs, err := svc.ListImages(ctx, nil)
	if err != nil {
		return nil, err
	}
	sort.Slice(imgs, func(i, j int) bool {
		if imgs[i].GetSize() == imgs[j].GetSize() {
			return imgs[i].GetId() > imgs[j].GetId()
		}
		return imgs[i].GetSize() > imgs[j].GetSize()
	})
	if max == 0 {
		max = MaxNodeImages
	}
	if max > 0 && len(imgs) > max {
		imgs = imgs[:max]
	}
	var out []corev1.ContainerImage
	for _, img := range imgs {
		names := append(append([]string{}, img.GetRepoDigests()...), img.GetRepoTags()...)
		if len(names) > MaxNamesPerImage {
			names = names[:MaxNamesPerImage]
		}
		out = append(out, corev1.ContainerImage{Names: names, SizeBytes: int64(img.GetSize())})
	}
	return out, nil
}
