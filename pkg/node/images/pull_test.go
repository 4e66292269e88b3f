package images_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"

	"github.com/tinykube/tinykube/internal/imagetest"
	"github.com/tinykube/tinykube/pkg/node/images"
)

func pod(uid, image string, policy corev1.PullPolicy, secrets ...string) (*corev1.Pod, *corev1.Container) {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p-" + uid, UID: types.UID("uid-" + uid)},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image, ImagePullPolicy: policy}}},
	}
	for _, s := range secrets {
		p.Spec.ImagePullSecrets = append(p.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: s})
	}
	return p, &p.Spec.Containers[0]
}

func reason(err error) string {
	var ie *images.Error
	if errors.As(err, &ie) {
		return ie.Reason.Error()
	}
	return fmt.Sprint(err)
}

// TestPullFromLoopbackRegistry pulls through a real containerd from
// registries this test serves on 127.0.0.1: an open one and one behind
// basic auth, reached with a pod's dockerconfigjson pull secret. (The
// back-off's timing is TestEnsureImageBackOff's, on a fake clock.)
func TestPullFromLoopbackRegistry(t *testing.T) {
	svc := startRuntime(t)
	ctx := context.Background()
	regs := imagetest.StartRegistries(t)
	busybox, open, private, ref, privateRef := regs.Busybox, regs.Open, regs.Private, regs.OpenRef, regs.PrivateRef

	secret := private.PullSecret("ns", "regcred")
	secret.UID = "uid-regcred"
	rec := record.NewFakeRecorder(1000)
	m := images.NewManager(images.Config{Service: svc, Recorder: rec, Secret: func(_ context.Context, ns, name string) (*corev1.Secret, error) {
		if ns == secret.Namespace && name == secret.Name {
			return secret, nil
		}
		return nil, fmt.Errorf("secrets %q not found", name)
	}})

	// Never, before the image is here.
	p, c := pod("never", ref, corev1.PullNever)
	if _, err := m.EnsureImage(ctx, p, c, nil); !errors.Is(err, images.ErrImageNeverPull) {
		t.Errorf("Never before pulling: %v, want ErrImageNeverPull", err)
	}

	// IfNotPresent pulls over plain HTTP from the loopback registry.
	p, c = pod("open", ref, corev1.PullIfNotPresent)
	id, err := m.EnsureImage(ctx, p, c, nil)
	if err != nil || !strings.HasPrefix(id, "sha256:") {
		t.Fatalf("pulling %s: %q, %v", ref, id, err)
	}
	want, _ := busybox.ConfigName()
	if id != want.String() {
		t.Errorf("image ID %s, want the config digest %s", id, want)
	}
	p, c = pod("never2", ref, corev1.PullNever)
	if got, err := m.EnsureImage(ctx, p, c, nil); err != nil || got != id {
		t.Errorf("Never after pulling: %q, %v", got, err)
	}

	// A missing image.
	p, c = pod("missing", open.Host+"/nothing:1", corev1.PullIfNotPresent)
	_, err = m.EnsureImage(ctx, p, c, nil)
	if reason(err) != "ErrImagePull" || !strings.Contains(err.(*images.Error).Message, "not found") {
		t.Errorf("missing image: %v, want ErrImagePull ... not found", err)
	}
	first := err.Error()
	if _, err = m.EnsureImage(ctx, p, c, nil); reason(err) != "ErrImagePull" || err.Error() != first {
		t.Errorf("missing image again, within the back-off: %v, want the same ErrImagePull", err)
	}

	// The private registry: without the secret 401, with it pulled.
	p, c = pod("nosecret", privateRef, corev1.PullIfNotPresent)
	if _, err := m.EnsureImage(ctx, p, c, nil); reason(err) != "ErrImagePull" || !strings.Contains(err.Error(), "401 Unauthorized") {
		t.Errorf("private image without a secret: %v, want ErrImagePull ... 401 Unauthorized", err)
	}
	p, c = pod("secret", privateRef, corev1.PullIfNotPresent, "missing-secret", "regcred")
	if _, err := m.EnsureImage(ctx, p, c, nil); err != nil {
		t.Errorf("private image with the secret: %v", err)
	}

	// The node reports both names of the pulled image.
	imgs, err := images.NodeImages(ctx, svc, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, img := range imgs {
		names = append(names, img.Names...)
		if img.SizeBytes <= 0 {
			t.Errorf("image %v: size %d", img.Names, img.SizeBytes)
		}
	}
	for _, n := range []string{ref, privateRef} {
		if !slices.Contains(names, n) {
			t.Errorf("status.images names %q lack %s", names, n)
		}
	}

	var events []string
	for len(rec.Events) > 0 {
		events = append(events, <-rec.Events)
	}
	for _, want := range []string{"Normal Pulling Pulling image \"" + ref + "\"", "Normal Pulled Successfully pulled image \"" + ref + "\" in "} {
		if !slices.ContainsFunc(events, func(e string) bool { return strings.HasPrefix(e, want) }) {
			t.Errorf("no event %q in %q", want, events)
		}
	}
}
