package node

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/imagetest"
	"github.com/tinykube/tinykube/internal/nodetest"
	imagescmd "github.com/tinykube/tinykube/pkg/cmd/images"
)

func waiting(reason string) func(*corev1.Pod) bool {
	return func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Waiting != nil &&
			p.Status.ContainerStatuses[0].State.Waiting.Reason == reason
	}
}

func running(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodRunning && len(p.Status.ContainerStatuses) == 1 &&
		p.Status.ContainerStatuses[0].State.Running != nil
}

func createPod(t *testing.T, n *nodetest.Node, p *corev1.Pod) {
	t.Helper()
	if _, err := n.Client.CoreV1().Pods("default").Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestRealNodeImages pulls from registries this test serves on
// 127.0.0.1 (an open one and one behind basic auth) through a real
// node, as the kubelet would: imagePullPolicy, imagePullSecrets,
// ErrImagePull then ImagePullBackOff, ErrImageNeverPull,
// InvalidImageName, status.images, `tinykube images import`.
func TestRealNodeImages(t *testing.T) {
	n := nodetest.StartNode(t)
	ctx := context.Background()
	regs := imagetest.StartRegistries(t)
	busybox, open, private, ref, privateRef := regs.Busybox, regs.Open, regs.Private, regs.OpenRef, regs.PrivateRef

	t.Run("pull from a loopback registry", func(t *testing.T) {
		createPod(t, n, busyboxPod(n, "pulled", ref, "exec sleep 3600"))
		pod := waitPod(t, n, "pulled", "Running", running)
		digest, _ := busybox.Digest()
		if got, want := pod.Status.ContainerStatuses[0].ImageID, open.Host+"/busybox@"+digest.String(); got != want {
			t.Errorf("imageID %q, want %s", got, want)
		}
		controllertest.Eventually(t, "Pulling and Pulled events", func(context.Context) (bool, error) {
			ev := podEvents(t, n, "pulled")
			return slices.Contains(ev, `Normal Pulling Pulling image "`+ref+`"`) &&
				slices.ContainsFunc(ev, func(e string) bool {
					return strings.HasPrefix(e, `Normal Pulled Successfully pulled image "`+ref+`" in `)
				}), nil
		})
		controllertest.Eventually(t, "status.images lists "+ref, func(ctx context.Context) (bool, error) {
			nd, err := n.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			for _, img := range nd.Status.Images {
				if slices.Contains(img.Names, ref) && img.SizeBytes > 0 {
					return true, nil
				}
			}
			return false, nil
		})
	})

	t.Run("Never and missing", func(t *testing.T) {
		p := busyboxPod(n, "neverpull", open.Host+"/absent:1", "true")
		p.Spec.Containers[0].ImagePullPolicy = corev1.PullNever
		createPod(t, n, p)
		pod := waitPod(t, n, "neverpull", "waiting with ErrImageNeverPull", waiting("ErrImageNeverPull"))
		want := `Container image "` + open.Host + `/absent:1" is not present with pull policy of Never`
		if msg := pod.Status.ContainerStatuses[0].State.Waiting.Message; msg != want || pod.Status.Phase != corev1.PodPending {
			t.Errorf("phase %s, message %q; want Pending, %q", pod.Status.Phase, msg, want)
		}
	})

	t.Run("missing image backs off", func(t *testing.T) {
		image := open.Host + "/nothing:1"
		createPod(t, n, busyboxPod(n, "missing", image, "true"))
		pod := waitPod(t, n, "missing", "waiting with ErrImagePull", waiting("ErrImagePull"))
		if msg := pod.Status.ContainerStatuses[0].State.Waiting.Message; !strings.Contains(msg, "not found") || pod.Status.Phase != corev1.PodPending {
			t.Errorf("phase %s, message %q: want Pending, the registry's not found", pod.Status.Phase, msg)
		}
		pod = waitPod(t, n, "missing", "waiting with ImagePullBackOff", waiting("ImagePullBackOff"))
		if msg := pod.Status.ContainerStatuses[0].State.Waiting.Message; !strings.HasPrefix(msg, `Back-off pulling image "`+image+`": ErrImagePull: `) {
			t.Errorf("back-off message %q", msg)
		}
		controllertest.Eventually(t, "Failed and BackOff events", func(context.Context) (bool, error) {
			ev := podEvents(t, n, "missing")
			return slices.Contains(ev, "Warning Failed Error: ErrImagePull") && slices.Contains(ev, `Normal BackOff Back-off pulling image "`+image+`"`), nil
		})
	})

	t.Run("invalid image name", func(t *testing.T) {
		createPod(t, n, busyboxPod(n, "invalid", "Not/Valid:1", "true"))
		pod := waitPod(t, n, "invalid", "waiting with InvalidImageName", waiting("InvalidImageName"))
		if msg := pod.Status.ContainerStatuses[0].State.Waiting.Message; !strings.HasPrefix(msg, `Failed to apply default image tag "Not/Valid:1": couldn't parse image name`) {
			t.Errorf("message %q", msg)
		}
	})

	t.Run("private registry", func(t *testing.T) {
		secret := private.PullSecret("default", "regcred")
		if _, err := n.Client.CoreV1().Secrets("default").Create(ctx, secret, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		createPod(t, n, busyboxPod(n, "nosecret", privateRef, "exec sleep 3600"))
		pod := waitPod(t, n, "nosecret", "waiting with ErrImagePull", waiting("ErrImagePull"))
		if msg := pod.Status.ContainerStatuses[0].State.Waiting.Message; !strings.Contains(msg, "401 Unauthorized") {
			t.Errorf("without the secret: %q, want 401 Unauthorized", msg)
		}
		p := busyboxPod(n, "withsecret", privateRef, "exec sleep 3600")
		p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
		createPod(t, n, p)
		waitPod(t, n, "withsecret", "Running", running)
	})

	t.Run("tinykube images import", func(t *testing.T) {
		tar := filepath.Join(t.TempDir(), "img.tar")
		if err := imagetest.WriteOCIArchive(tar, "example.com/imported/busybox:3", busybox); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"import", tar}, {"ls"}} {
			cmd := imagescmd.NewCommand()
			var out bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			cmd.SetArgs(append(args, "--data-dir", n.DataDir))
			if err := cmd.ExecuteContext(ctx); err != nil {
				t.Fatalf("tinykube images %s: %v\n%s", args[0], err, out.String())
			}
			if want := "example.com/imported/busybox"; !strings.Contains(out.String(), want) {
				t.Errorf("tinykube images %s output lacks %s:\n%s", args[0], want, out.String())
			}
		}
		p := busyboxPod(n, "imported", "example.com/imported/busybox:3", "exec sleep 3600")
		p.Spec.Containers[0].ImagePullPolicy = corev1.PullNever
		createPod(t, n, p)
		waitPod(t, n, "imported", "Running", running)
	})
}
