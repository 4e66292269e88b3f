package server_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/nodetest"
	"github.com/tinykube/tinykube/pkg/node/images"
)

// TestServerNodeRunsPod: `tinykube server --node` is a one-command
// cluster: its node registers Ready, and a pod created without a node
// is scheduled there and runs as a container with an IP from the
// node's podCIDR.
func TestServerNodeRunsPod(t *testing.T) {
	sn := nodetest.StartServerNode(t, "one")
	ctx, client, rt, dir := context.Background(), sn.Client, sn.Runtime, sn.Dir
	bb, err := images.Busybox("tinykube.test/busybox:1", "/bin/busybox")
	if err != nil {
		t.Skip(err)
	}
	sn.ImportImage(t, bb)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "sleeper", Namespace: "default"}, Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "c", Image: "tinykube.test/busybox:1", Command: []string{"sleep", "3600"}}},
	}}
	controllertest.Eventually(t, "pod created (the default ServiceAccount exists)", func(ctx context.Context) (bool, error) {
		_, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
		return err == nil, nil
	})
	controllertest.EventuallyWithin(t, "pod Running on node one", 60*time.Second, func(ctx context.Context) (bool, error) {
		p, err := client.CoreV1().Pods("default").Get(ctx, "sleeper", metav1.GetOptions{})
		return err == nil && p.Spec.NodeName == "one" && p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "", nil
	})
	// Its service account token volume (kube-api-access-*, added by
	// admission) is on the node's disk, and the token authenticates.
	p, err := client.CoreV1().Pods("default").Get(ctx, "sleeper", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tokens, _ := filepath.Glob(filepath.Join(dir, "node", "pods", string(p.UID), "volumes", "kubernetes.io~projected", "kube-api-access-*", "token"))
	if len(tokens) != 1 {
		t.Fatalf("token files %v", tokens)
	}
	token, err := os.ReadFile(tokens[0])
	if err != nil {
		t.Fatal(err)
	}
	review, err := client.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: string(token)}}, metav1.CreateOptions{})
	if err != nil || !review.Status.Authenticated || review.Status.User.Username != "system:serviceaccount:default:default" {
		t.Fatalf("token review %+v %v", review, err)
	}
	if err := client.CoreV1().Pods("default").Delete(ctx, "sleeper", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	// A zero grace period deletes the pod at once; the node then
	// removes its sandbox.
	controllertest.Eventually(t, "sandbox removed", func(ctx context.Context) (bool, error) {
		s, err := rt.ListPodSandbox(ctx, nil)
		return len(s) == 0, err
	})
}
