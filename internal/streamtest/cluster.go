package streamtest

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/node/kubeletserver"
	"github.com/tinykube/tinykube/pkg/pki"
)

// Cluster is a real API server, one node whose kubelet API runs on
// loopback over the streamtest runtime, a pod "web" on it with
// containers app (running, a log) and side, and an HTTP server on
// loopback standing in for the pod's port.
type Cluster struct {
	Server  *testserver.Server
	Runtime *Runtime
	Pod     *corev1.Pod
	// LogPath is the app container's CRI log file; AppID its ID.
	LogPath string
	AppID   string
	// Port is the pod's HTTP port (on 127.0.0.1): it answers
	// "hello from the pod: METHOD PATH?QUERY".
	Port int
}

// StartCluster starts a Cluster for t.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	ctx := context.Background()
	c := &Cluster{Server: testserver.Start(t, "")}
	client := c.Server.Client
	bundle, err := pki.Ensure(filepath.Join(c.Server.DataDir, "pki"), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from the pod: %s %s?%s", r.Method, r.URL.Path, r.URL.RawQuery)
	}))
	t.Cleanup(web.Close)
	c.Port = web.Listener.Addr().(*net.TCPAddr).Port

	// The kubelet API.
	c.Runtime = New(t)
	addr := ServeKubelet(t, bundle, c.Runtime, func() []*corev1.Pod { return []*corev1.Pod{c.Pod} })

	node, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-0"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(addr.Port)
	if _, err := client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod, err := client.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{NodeName: "node-0", Containers: []corev1.Container{
			{Name: "app", Image: "busybox", Ports: []corev1.ContainerPort{{ContainerPort: int32(c.Port)}}},
			{Name: "side", Image: "busybox"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status.Phase = corev1.PodRunning
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{
		{Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}},
		{Name: "side", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}
	pod.Status.PodIP = "127.0.0.1"
	pod.Status.PodIPs = []corev1.PodIP{{IP: "127.0.0.1"}}
	if c.Pod, err = client.CoreV1().Pods("default").UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.Runtime.AddSandbox(c.Pod)
	c.LogPath = filepath.Join(t.TempDir(), "0.log")
	if err := os.WriteFile(c.LogPath, []byte("2024-01-02T03:04:01Z stdout F one\n2024-01-02T03:04:02Z stderr F two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.AppID = c.Runtime.AddContainer(c.Pod, "app", 0, c.LogPath, true)
	return c
}

// ServeKubelet serves the kubelet API over rt for pods on a free
// loopback port, with a serving certificate of bundle's for node-0 at
// 127.0.0.1 and bundle's CA for clients, until the test ends.
func ServeKubelet(t testing.TB, bundle *pki.Bundle, rt *Runtime, pods func() []*corev1.Pod) *net.TCPAddr {
	t.Helper()
	certPEM, keyPEM, err := bundle.IssueServingCert("node-0", []net.IP{net.IPv4(127, 0, 0, 1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := kubeletserver.New(kubeletserver.Config{Runtime: rt, Pods: pods, Cert: cert, ClientCAs: bundle.CAPool})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("kubelet API: Serve: %v", err)
		}
	})
	return l.Addr().(*net.TCPAddr)
}

// AppendLog appends lines (CRI log lines, each ending in a newline) to
// the app container's log, as the runtime writes a container's output.
func (c *Cluster) AppendLog(t testing.TB, lines string) {
	t.Helper()
	f, err := os.OpenFile(c.LogPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(lines); err != nil {
		t.Fatal(err)
	}
}
