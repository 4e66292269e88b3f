package node

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/remotecommand"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/nodetest"
)

// TestRealPodLogsAndExec: a real node's pods answer pods/log and
// pods/exec (WebSocket, as kubectl ≥ 1.30) through the API server and
// the node's kubelet API.
func TestRealPodLogsAndExec(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	ctx := context.Background()
	p := busyboxPod(n, "talker", img, `echo "$GREETING"; echo oops >&2; exec sleep 3600`)
	if _, err := n.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPod(t, n, "talker", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	controllertest.Eventually(t, "both lines logged", func(ctx context.Context) (bool, error) {
		b, err := n.Client.CoreV1().Pods("default").GetLogs("talker", &corev1.PodLogOptions{}).DoRaw(ctx)
		return err == nil && strings.Count(string(b), "\n") == 2, nil
	})
	b, err := n.Client.CoreV1().Pods("default").GetLogs("talker", &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil || !strings.Contains(string(b), "hello\n") || !strings.Contains(string(b), "oops\n") {
		t.Errorf("logs: %q %v", b, err)
	}

	u, err := url.Parse(n.Server.RESTConfig.Host + "/api/v1/namespaces/default/pods/talker/exec")
	if err != nil {
		t.Fatal(err)
	}
	u.RawQuery = url.Values{"command": {"cat"}, "stdin": {"true"}, "stdout": {"true"}}.Encode()
	ex, err := remotecommand.NewWebSocketExecutor(n.Server.RESTConfig, "GET", u.String())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: strings.NewReader("from stdin\n"), Stdout: &out}); err != nil {
		t.Fatalf("exec cat: %v", err)
	}
	if out.String() != "from stdin\n" {
		t.Errorf("exec cat: %q", out.String())
	}
}

// TestRealFinishedPodKeepsLogs: a pod that ran to completion keeps its
// stopped sandbox and exited container, as the kubelet does, so its
// logs stay readable until the pod is deleted (the e2e suite reads
// them after "Saw pod success"); deleting it removes the sandbox.
func TestRealFinishedPodKeepsLogs(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	ctx := context.Background()
	p := busyboxPod(n, "done", img, `echo "$GREETING" > /scratch/x; cat /scratch/x`)
	p.Spec.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "scratch", MountPath: "/scratch"}}
	if _, err := n.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, n, "done", "Succeeded", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodSucceeded })
	// The agent is done with the finished pod once its volumes are
	// gone (it unmounts them after stopping the sandbox).
	podDir := filepath.Join(n.DataDir, "pods", string(pod.UID))
	controllertest.Eventually(t, "finished pod's volumes removed", func(context.Context) (bool, error) {
		_, err := os.Stat(podDir)
		return os.IsNotExist(err), nil
	})
	sandboxes := func(ctx context.Context) ([]*runtimeapi.PodSandbox, error) {
		return n.Runtime.CRI.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"io.kubernetes.pod.uid": string(pod.UID)}})
	}
	sbs, err := sandboxes(ctx)
	if err != nil || len(sbs) != 1 || sbs[0].State != runtimeapi.PodSandboxState_SANDBOX_NOTREADY {
		t.Fatalf("finished pod's sandboxes: %v %v (want one, stopped)", sbs, err)
	}
	b, err := n.Client.CoreV1().Pods("default").GetLogs("done", &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil || string(b) != "hello\n" {
		t.Fatalf("logs of the finished pod: %q %v", b, err)
	}
	if err := n.Client.CoreV1().Pods("default").Delete(ctx, "done", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "sandbox removed after the pod is deleted", func(ctx context.Context) (bool, error) {
		sbs, err := sandboxes(ctx)
		return err == nil && len(sbs) == 0, nil
	})
}
