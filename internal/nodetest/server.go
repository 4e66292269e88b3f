package nodetest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tinykube/tinykube/internal/controllertest"
	servercmd "github.com/tinykube/tinykube/pkg/cmd/server"
	"github.com/tinykube/tinykube/pkg/network/cni"
	"github.com/tinykube/tinykube/pkg/node"
	"github.com/tinykube/tinykube/pkg/node/containerd"
	"github.com/tinykube/tinykube/pkg/node/cri"
	"github.com/tinykube/tinykube/pkg/node/images"
)

// ServerNode is `tinykube server --node` run in-process for a test: the
// one-command cluster, its node's containerd under Dir/node/containerd.
type ServerNode struct {
	// Dir is the server's --data-dir.
	Dir string
	// Kubeconfig is the admin kubeconfig's path.
	Kubeconfig string
	Client     kubernetes.Interface
	// Name is the node's name.
	Name string
	// Endpoint is the CRI endpoint of the node's containerd (unix://…).
	Endpoint string
	// Runtime is a CRI client of the node's containerd.
	Runtime *cri.Client
}

// StartServerNode runs `tinykube server --node --node-name name
// --node-ip 127.0.0.1` with a free API and kubelet port, a cluster CIDR
// of its own and args added, and waits (up to 90 s) for the node to be
// Ready at 127.0.0.1. When the test ends, every pod is deleted, then
// every pod sandbox is removed (the server leaves its pods running when
// it stops, as a kubelet does), then the server stops and the node's
// bridge and cgroups are removed. The test is skipped when a real node
// cannot run here.
func StartServerNode(t testing.TB, name string, args ...string) *ServerNode {
	t.Helper()
	Skip(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	clusterCIDR := fmt.Sprintf("10.%d.0.0/16", 232+rand.IntN(16))
	cmd := servercmd.NewCommand()
	cmd.SetArgs(append([]string{"--data-dir", dir, "--secure-port", "0", "--unsafe-no-fsync", "--node", "--node-name", name,
		"--node-ip", "127.0.0.1", "--kubelet-port", "0", "--cluster-cidr", clusterCIDR,
		// No policy rules and no service proxy: these nodes share the
		// host's network namespace (and its nftables table) with each other.
		"--node-network-policy=false", "--proxy=false"}, args...))
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	stop := func() {
		cancel()
		<-done
	}
	paths, err := containerd.PathsFor(filepath.Join(dir, "node", "containerd"))
	if err != nil {
		stop()
		t.Fatal(err)
	}
	s := &ServerNode{Dir: dir, Kubeconfig: filepath.Join(dir, "admin.kubeconfig"), Name: name, Endpoint: "unix://" + paths.Socket}
	t.Cleanup(func() {
		if s.Client != nil {
			// Pods deleted first: the node, still running, would
			// otherwise make a new sandbox for each one removed below.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if pods, err := s.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); err == nil {
				for _, p := range pods.Items {
					_ = s.Client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
				}
			}
			cancel()
		}
		if s.Runtime != nil {
			controllertest.EventuallyWithin(t, "pod sandboxes removed", time.Minute, func(ctx context.Context) (bool, error) {
				_ = s.Runtime.RemoveAllPodSandboxes(ctx)
				left, err := s.Runtime.ListPodSandbox(ctx, nil)
				return err == nil && len(left) == 0, nil
			})
			s.Runtime.Close(context.Background())
		}
		stop()
		removeLeftSandboxes(t, paths)
		_ = paths.DeleteBridge()
		_ = paths.UnmountAll()
		node.RemoveCgroups("/tinykube/" + name)
	})
	controllertest.EventuallyWithin(t, "node "+name+" Ready", 90*time.Second, func(ctx context.Context) (bool, error) {
		if s.Client == nil {
			rc, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
			if err != nil {
				return false, nil
			}
			if s.Client, err = kubernetes.NewForConfig(rc); err != nil {
				return false, err
			}
		}
		n, err := s.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil || len(n.Status.Addresses) == 0 || n.Status.Addresses[0].Address != "127.0.0.1" {
			return false, nil
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
	dctx, dcancel := context.WithTimeout(ctx, time.Minute)
	defer dcancel()
	if s.Runtime, err = cri.Dial(dctx, s.Endpoint, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	return s
}

// removeLeftSandboxes removes the pod sandboxes a stopped server's node
// left: the node recreates the sandboxes of its pods while the cleanup
// removes them, and one it was starting then (inside the CNI plugin, say)
// outlives the server, with its shim, network namespace and /dev/shm
// mount. They are removed through the node's containerd started again,
// with no node agent beside it, on the CNI config the node wrote.
func removeLeftSandboxes(t testing.TB, paths containerd.Paths) {
	left, _ := os.ReadDir(filepath.Join(paths.State, "io.containerd.grpc.v1.cri", "sandboxes"))
	if len(left) == 0 {
		return
	}
	t.Logf("%d pod sandboxes left by the stopped node: removing them", len(left))
	cfg := containerd.DefaultConfig(paths.Dir)
	if b, err := os.ReadFile(filepath.Join(paths.CNIConfDir, "10-tinykube.conflist")); err == nil && bytes.Contains(b, []byte(`"`+cni.PluginType+`"`)) {
		cfg.CNI = containerd.CNITinykube // the test binary is the plugin (TestMain)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := containerd.Start(ctx, cfg)
	if err != nil {
		t.Errorf("restarting the node's containerd to remove %d sandboxes left: %v", len(left), err)
		return
	}
	defer c.Stop()
	client, err := cri.Dial(ctx, c.Endpoint(), 10*time.Second)
	if err != nil {
		t.Errorf("removing sandboxes left: %v", err)
		return
	}
	defer client.Close(ctx)
	if err := client.RemoveAllPodSandboxes(ctx); err != nil {
		t.Errorf("removing sandboxes left: %v", err)
	}
}

// ImportImage builds img as an OCI archive and imports it into the
// node's containerd.
func (s *ServerNode) ImportImage(t testing.TB, img images.Image) {
	t.Helper()
	importImage(t, s.Endpoint, img)
}
