package images

import (
	"fmt"
	"strings"

	dockerref "github.com/distribution/reference"
)

// Reference is a parsed image reference, as the kubelet parses one.
type Reference struct {
	// Repository is the fully qualified repository the image is pulled
	// from: "busybox" is "docker.io/library/busybox".
	Repository string
	// Tag is the tag, "latest" when neither a tag nor a digest is given.
	Tag string
	// Digest is the digest ("sha256:…"), if given.
	Digest string
}

// ParseReference parses an image reference as Docker does, normalizing
// short names to docker.io. It rejects what the runtime cannot pull:
// upper-case repositories, bad tags or digests, empty strings.
func ParseReference(image string) (Reference, error) {
	named, err := dockerref.ParseNormalizedNamed(image)
	if err != nil {
		return Reference{}, fmt.Errorf("couldn't parse image name %q: %v", image, err)
	}
	r := Reference{Repository: named.Name()}
	if tagged, ok := named.(dockerref.Tagged); ok {
		r.Tag = tagged.Tag()
	}
	if digested, ok := named.(dockerref.Digested); ok {
		r.Digest = digested.Digest().String()
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	return r, nil
}

// WithDefaultTag returns image with ":latest" appended when it names
// neither a tag nor a digest, otherwise image unchanged. The name is not
// otherwise normalized ("busybox" stays short), which leaves resolving
// short names to the runtime, as the kubelet does.
func WithDefaultTag(image string) (string, error) {
	r, err := ParseReference(image)
	if err != nil {
		return "", err
	}
	if r.Digest == "" && !strings.HasSuffix(image, ":"+r.Tag) {
		image += ":" + r.Tag
	}
	return image, nil
}
