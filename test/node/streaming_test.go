package node

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/remotecommand"

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
