package nodetest

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	nodecmd "github.com/tinykube/tinykube/pkg/cmd/node"
	"github.com/tinykube/tinykube/pkg/node"
	"github.com/tinykube/tinykube/pkg/node/containerd"
	"github.com/tinykube/tinykube/pkg/node/images"
)

// Node is a running test cluster of one real node.
type Node struct {
	Server *testserver.Server
	Client kubernetes.Interface
	// Name of the node; pods set spec.nodeName to it (no scheduler runs).
	Name string
	// DataDir is the node's data dir (its containerd under
	// DataDir/containerd, pod logs under DataDir/pods).
	DataDir string
	// Endpoint is the CRI endpoint of its containerd (unix://…).
	Endpoint string
	// Runtime is the node's containerd and CRI client.
	Runtime *nodecmd.RealRuntime
	// PodCIDR is the node's pod network.
	PodCIDR netip.Prefix

	cfg    node.Config
	flags  nodecmd.RealFlags
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (n *Node) startAgent(t testing.TB) {
	t.Helper()
	cfg := n.cfg
	api, err := nodecmd.ListenKubeletAPI(n.flags, &cfg, n.Runtime)
	if err != nil {
		n.Runtime.Close(true)
		t.Fatal(err)
	}
	agent, err := node.New(cfg)
	if err != nil {
		api.Close()
		n.Runtime.Close(true)
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.wg.Add(2)
	go func() {
		defer n.wg.Done()
		if err := agent.Run(ctx); err != nil {
			t.Errorf("node agent: %v", err)
		}
	}()
	go func() {
		defer n.wg.Done()
		if err := api.Serve(ctx, agent); err != nil {
			t.Errorf("kubelet API: %v", err)
		}
	}()
}

func (n *Node) stopAgent() {
	n.cancel()
	n.wg.Wait()
}

// RestartAgent stops the node agent, runs whileDown (if not nil), and
// starts a new agent on the same containerd, as a restart of `tinykube
// node` does; the pods keep running meanwhile.
func (n *Node) RestartAgent(t testing.TB, whileDown func()) {
	t.Helper()
	n.stopAgent()
	if whileDown != nil {
		whileDown()
	}
	n.startAgent(t)
}

// Skip skips t unless a real node can run here.
func Skip(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"containerd", "runc", "ctr"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed: apt-get install containerd runc containernetworking-plugins", bin)
		}
	}
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		t.Skip("CNI plugins not installed: apt-get install containernetworking-plugins")
	}
	if os.Geteuid() != 0 {
		t.Skip("a real node needs root")
	}
}

// StartNode starts an API server and one real node for t; both are
// stopped, and every pod sandbox, the node's bridge and its containerd
// removed, when the test ends.
func StartNode(t testing.TB) *Node {
	t.Helper()
	return StartNodeWith(t, nil)
}

// StartNodeWith is StartNode with the agent's config adjusted by tweak
// (e.g. a shorter RestartBackoff) before the node starts.
func StartNodeWith(t testing.TB, tweak func(*node.Config)) *Node {
	t.Helper()
	return StartNodeWithFlags(t, nil, tweak)
}

// StartNodeWithFlags is StartNodeWith with the node's command-line flags
// adjusted by flags (e.g. --cni reference) before its runtime starts.
// The node's pods get their network from tinykube-cni unless flags
// change it; the test binary is the plugin (its TestMain calls
// cni.ServeIfCalled).
func StartNodeWithFlags(t testing.TB, flags func(*nodecmd.RealFlags), tweak func(*node.Config)) *Node {
	t.Helper()
	Skip(t)
	s := testserver.Start(t, "")
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	level := slog.LevelInfo
	if os.Getenv("TINYKUBE_NODE_DEBUG") != "" {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: level}))

	f := nodecmd.DefaultRealFlags()
	f.Runtime, f.DataDir, f.NodeName = "containerd", dir, fmt.Sprintf("node-%06d", rand.IntN(1e6))
	f.NodeIP = "127.0.0.1"
	if flags != nil {
		flags(&f)
	}
	rt, err := nodecmd.StartRuntime(ctx, f, logger)
	if err != nil {
		cancel()
		t.Fatalf("starting the node's containerd: %v", err)
	}
	// A podCIDR of its own, so that nodes of tests running side by side
	// never route the same range: 10.(200-231).x.0/24.
	cidr := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(200 + rand.IntN(32)), byte(rand.IntN(256)), 0}), 24)
	cfg := node.DefaultConfig()
	cfg.RESTConfig, cfg.Logger = s.RESTConfig, logger
	cfg.FallbackPodCIDRs, cfg.FallbackPodCIDRMask, cfg.PodCIDRWait = cidr, 24, 0
	cfg.LeaseRenewInterval = 2 * time.Second
	if cfg, err = nodecmd.RealConfig(cfg, f, rt); err != nil {
		cancel()
		rt.Close(true)
		t.Fatal(err)
	}
	if tweak != nil {
		tweak(&cfg)
	}
	cancel() // the runtime is started; the agent gets its own context
	// The kubelet API (logs, exec, attach, port-forward through the API
	// server) on a free loopback port.
	f.KubeletAddress, f.KubeletPort = "127.0.0.1", 0
	n := &Node{Server: s, Client: s.Client, Name: f.NodeName, DataDir: dir, Endpoint: rt.CRI.Endpoint(), Runtime: rt, PodCIDR: cidr, cfg: cfg, flags: f}
	n.startAgent(t)
	t.Cleanup(func() {
		n.stopAgent()
		if err := rt.Close(true); err != nil {
			t.Errorf("stopping the node: %v", err)
		}
	})
	controllertest.Eventually(t, "node "+n.Name+" Ready", func(ctx context.Context) (bool, error) {
		nd, err := n.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, c := range nd.Status.Conditions {
			if c.Type == corev1.NodeReady {
				return c.Status == corev1.ConditionTrue, nil
			}
		}
		return false, nil
	})
	return n
}

// ImportImage builds img as an OCI archive and imports it into the
// node's containerd.
func (n *Node) ImportImage(t testing.TB, img images.Image) {
	t.Helper()
	importImage(t, n.Endpoint, img)
}

func importImage(t testing.TB, endpoint string, img images.Image) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.tar")
	if err := images.WriteOCIArchiveFile(p, img); err != nil {
		t.Fatal(err)
	}
	importTar(t, endpoint, p)
}

// ImportTar imports an OCI layout or docker-archive tar into the node's
// containerd.
func (n *Node) ImportTar(t testing.TB, path string) {
	t.Helper()
	importTar(t, n.Endpoint, path)
}

func importTar(t testing.TB, endpoint, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := containerd.Import(ctx, "", endpoint, path); err != nil {
		t.Fatal(err)
	}
}

// BusyboxImage is the reference Busybox imports the busybox image under.
const BusyboxImage = "tinykube.test/busybox:1"

// Busybox imports an image of Debian's busybox-static (/bin/busybox,
// with sh, echo, sleep, cat… linked to it) as BusyboxImage and returns
// that name; the test is skipped when busybox-static is not installed.
func (n *Node) Busybox(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("busybox-static not installed: apt-get install busybox-static")
	}
	img, err := images.Busybox(BusyboxImage, "/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	n.ImportImage(t, img)
	return BusyboxImage
}

// testWriter sends the node's log to the test's.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
