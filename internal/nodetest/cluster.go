package nodetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/pkg/cmd"
	servercmd "github.com/tinykube/tinykube/pkg/cmd/server"
	"github.com/tinykube/tinykube/pkg/network/cni"
	"github.com/tinykube/tinykube/pkg/node"
	"github.com/tinykube/tinykube/pkg/node/containerd"
	"github.com/tinykube/tinykube/pkg/node/cri"
	"github.com/tinykube/tinykube/pkg/node/images"
)

// ExecEnv, when set, makes a test binary whose TestMain calls Main run
// `tinykube` with its newline-separated arguments instead of the tests:
// how a test starts a node process inside a network namespace without
// building the binary.
const ExecEnv = "TINYKUBE_TEST_EXEC_ARGS"

// Main is a TestMain for packages that run real nodes: called as
// tinykube-cni the binary is the CNI plugin (a real node run by the test
// links the test binary as its plugin); with ExecEnv set it is
// `tinykube`; otherwise it runs the tests.
func Main(m *testing.M) {
	cni.ServeIfCalled()
	if args := os.Getenv(ExecEnv); args != "" {
		root := cmd.NewRootCommand()
		root.SetArgs(strings.Split(args, "\n"))
		if err := root.Execute(); err != nil {
			fmt.Fprintln(os.Stderr, "tinykube:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// ClusterOptions shape a test cluster.
type ClusterOptions struct {
	// Nodes is the number of real nodes (default 2).
	Nodes int
	// Routed puts every node on a network segment of its own (a /30 to
	// the host, which routes between them) instead of one shared L2
	// segment: host-gw routing cannot work there, VXLAN can.
	Routed bool
	// ServerArgs are added to `tinykube server`'s arguments.
	ServerArgs []string
	// NodeArgs are added to every `tinykube node`'s arguments.
	NodeArgs []string
}

// Cluster is `tinykube server` in the test's process and real nodes, each
// a `tinykube node` process (the test binary, see Main) in a network
// namespace of its own, as on separate hosts, joined with a bootstrap
// token.
type Cluster struct {
	// Kubeconfig is the admin kubeconfig's path.
	Kubeconfig string
	Client     kubernetes.Interface
	// ServerIP is the address the API server listens on, reachable from
	// every node.
	ServerIP string
	// ClusterCIDR is the pod network all nodes' podCIDRs come from.
	ClusterCIDR string
	Nodes       []*ClusterNode

	opts ClusterOptions
	id   int
	join []string
}

// ClusterNode is one node of a Cluster.
type ClusterNode struct {
	Name string
	// NS is its network namespace (/var/run/netns/NS); IP its address
	// there, the Node's InternalIP.
	NS, IP string
	// Dir is its --data-dir; Endpoint its containerd's CRI endpoint.
	Dir, Endpoint string
	// Log is everything the node process printed.
	Log *LockedBuffer

	args []string
	proc *Process
}

// StartCluster starts the server and opts.Nodes nodes and waits for every
// node to be Ready. When the test ends every pod is deleted, the nodes'
// sandboxes removed, the nodes and the server stopped, and every
// namespace, link and mount they made removed. Skipped when real nodes
// cannot run here.
func StartCluster(t testing.TB, opts ClusterOptions) *Cluster {
	t.Helper()
	Skip(t)
	for _, bin := range []string{"ip", "nsenter"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("no %s command (apt-get install iproute2 util-linux)", bin)
		}
	}
	if opts.Nodes == 0 {
		opts.Nodes = 2
	}
	c := &Cluster{opts: opts, id: rand.IntN(200), ClusterCIDR: fmt.Sprintf("10.%d.0.0/16", 232+rand.IntN(16))}
	if opts.Routed {
		c.ServerIP = c.routedHostIP(0)
		c.addServerAddress(t)
	} else {
		c.ServerIP = fmt.Sprintf("10.251.%d.1", c.id)
		br := fmt.Sprintf("tkcb%d", c.id)
		mustRun(t, "ip", "link", "add", br, "type", "bridge")
		t.Cleanup(func() { _ = exec.Command("ip", "link", "del", br).Run() })
		mustRun(t, "ip", "addr", "add", c.ServerIP+"/24", "dev", br)
		mustRun(t, "ip", "link", "set", br, "up")
	}
	c.startServer(t)
	for i := 0; i < opts.Nodes; i++ {
		c.AddNode(t)
	}
	return c
}

// routedHostIP is the host's address on node i's /30 (i = 0: the
// server's own dummy address).
func (c *Cluster) routedHostIP(i int) string {
	return fmt.Sprintf("10.252.%d.%d", c.id, i*4+1)
}

// addServerAddress puts the server's address (routed clusters) on the
// host's loopback device (this kernel has no dummy links).
func (c *Cluster) addServerAddress(t testing.TB) {
	mustRun(t, "ip", "addr", "add", c.ServerIP+"/32", "dev", "lo")
	t.Cleanup(func() { _ = exec.Command("ip", "addr", "del", c.ServerIP+"/32", "dev", "lo").Run() })
}

func (c *Cluster) startServer(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	sc := servercmd.NewCommand()
	sc.SetArgs(append([]string{"--data-dir", dir, "--secure-port", "0", "--unsafe-no-fsync", "--bind-address", c.ServerIP,
		"--cluster-cidr", c.ClusterCIDR}, c.opts.ServerArgs...))
	done := make(chan error, 1)
	go func() { done <- sc.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	c.Kubeconfig = filepath.Join(dir, "admin.kubeconfig")
	controllertest.EventuallyWithin(t, "the cluster's API server ready", time.Minute, func(ctx context.Context) (bool, error) {
		select {
		case err := <-done:
			done <- err
			return false, fmt.Errorf("tinykube server exited: %v", err)
		default:
		}
		rc, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
		if err != nil {
			return false, nil
		}
		client, err := kubernetes.NewForConfig(rc)
		if err != nil {
			return false, err
		}
		if _, err := client.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{}); err != nil {
			return false, nil
		}
		c.Client = client
		return true, nil
	})
	var out bytes.Buffer
	tok := cmd.NewRootCommand()
	tok.SetArgs([]string{"token", "create", "--kubeconfig", c.Kubeconfig, "--ttl", "1h", "--description", t.Name(), "--print-join-command"})
	tok.SetOut(&out)
	if err := tok.Execute(); err != nil {
		t.Fatal(err)
	}
	c.join = strings.Fields(strings.TrimSpace(out.String()))[1:] // node --runtime containerd --server …
}

// AddNode starts one more node, waits for it to be Ready and returns it.
func (c *Cluster) AddNode(t testing.TB) *ClusterNode {
	t.Helper()
	i := len(c.Nodes)
	n := &ClusterNode{Name: fmt.Sprintf("node-%d-%d", c.id, i), NS: fmt.Sprintf("tkc-%d-%d", c.id, i), Log: &LockedBuffer{}}
	host, peer := fmt.Sprintf("tkc%dh%d", c.id, i), fmt.Sprintf("tkc%dn%d", c.id, i)
	mustRun(t, "ip", "netns", "add", n.NS)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", n.NS).Run() })
	mustRun(t, "ip", "link", "add", host, "type", "veth", "peer", "name", peer)
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", host).Run() })
	mustRun(t, "ip", "link", "set", peer, "netns", n.NS)
	gw := c.ServerIP
	if c.opts.Routed {
		gw = c.routedHostIP(i + 1)
		n.IP = fmt.Sprintf("10.252.%d.%d", c.id, (i+1)*4+2)
		mustRun(t, "ip", "addr", "add", gw+"/30", "dev", host)
		mustRun(t, "ip", "-n", n.NS, "addr", "add", n.IP+"/30", "dev", peer)
		// The host routes between the nodes' segments: forwarding on for
		// packets arriving on this link only (the host's ip_forward, which
		// a fresh machine has off, stays as it is; the setting goes with
		// the link).
		if err := os.WriteFile("/proc/sys/net/ipv4/conf/"+host+"/forwarding", []byte("1"), 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		n.IP = fmt.Sprintf("10.251.%d.%d", c.id, 10+i)
		mustRun(t, "ip", "link", "set", host, "master", fmt.Sprintf("tkcb%d", c.id))
		mustRun(t, "ip", "-n", n.NS, "addr", "add", n.IP+"/24", "dev", peer)
	}
	mustRun(t, "ip", "link", "set", host, "up")
	mustRun(t, "ip", "-n", n.NS, "link", "set", peer, "up")
	mustRun(t, "ip", "-n", n.NS, "link", "set", "lo", "up")
	mustRun(t, "ip", "-n", n.NS, "route", "add", "default", "via", gw)

	n.Dir = filepath.Join(t.TempDir(), "n")
	paths, err := containerd.PathsFor(filepath.Join(n.Dir, "containerd"))
	if err != nil {
		t.Fatal(err)
	}
	n.Endpoint = "unix://" + paths.Socket
	n.args = slices.Concat(c.join, []string{"--data-dir", n.Dir, "--node-name", n.Name, "--node-ip", n.IP, "--join-timeout", "90s",
		"--cluster-cidr", c.ClusterCIDR}, c.opts.NodeArgs)
	n.start(t)
	t.Cleanup(func() {
		// Its pods first, deleted so that the node does not start them
		// again, and their sandboxes removed (a node leaves them running
		// when it stops, as a kubelet does); then the node and its
		// containerd, then what they left mounted. The node is cordoned
		// before: a Deployment's replacement pods would be placed and
		// started here again as fast as they are removed (and left
		// running when the node stops); one placed before the cordon
		// is deleted on the next round.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, _ = c.Client.CoreV1().Nodes().Patch(ctx, n.Name, types.MergePatchType, []byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{})
		deletePods := func(ctx context.Context) {
			pods, err := c.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + n.Name})
			if err != nil {
				return
			}
			for _, p := range pods.Items {
				_ = c.Client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
			}
		}
		deletePods(ctx)
		if rt, err := cri.Dial(ctx, n.Endpoint, 10*time.Second); err == nil {
			controllertest.EventuallyWithin(t, n.Name+"'s pod sandboxes removed", time.Minute, func(ctx context.Context) (bool, error) {
				deletePods(ctx)
				_ = rt.RemoveAllPodSandboxes(ctx)
				left, err := rt.ListPodSandbox(ctx, nil)
				return err == nil && len(left) == 0, nil
			})
			rt.Close(ctx)
		}
		n.proc.Stop()
		if err := paths.UnmountAll(); err != nil {
			t.Errorf("unmounting %s's mounts: %v", n.Name, err)
		}
		node.RemoveCgroups("/tinykube/" + n.Name)
		if t.Failed() {
			t.Logf("%s's log:\n%s", n.Name, n.Log.String())
		}
	})
	c.Nodes = append(c.Nodes, n)
	c.WaitReady(t, n)
	return n
}

// WaitReady waits (up to 2 minutes) for n to be Ready at its address.
func (c *Cluster) WaitReady(t testing.TB, n *ClusterNode) {
	t.Helper()
	controllertest.EventuallyWithin(t, "node "+n.Name+" Ready", 2*time.Minute, func(ctx context.Context) (bool, error) {
		if err := n.proc.Exited(); err != nil {
			return false, fmt.Errorf("node %s exited: %v\n%s", n.Name, err, n.Log.String())
		}
		nd, err := c.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, cond := range nd.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				return len(nd.Status.Addresses) > 0 && nd.Status.Addresses[0].Address == n.IP, nil
			}
		}
		return false, nil
	})
}

// start runs the node process in its namespace.
func (n *ClusterNode) start(t testing.TB) {
	t.Helper()
	n.proc = StartInNetns(t, n.NS, n.args, n.Log)
}

// StartInNetns runs `tinykube args…` (the test binary, see Main) in
// network namespace ns, its output to out. nsenter --net, not `ip netns
// exec`: that one also remounts /sys in a new mount namespace, hiding the
// cgroup mounts runc needs.
func StartInNetns(t testing.TB, ns string, args []string, out io.Writer) *Process {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := &Process{cmd: exec.Command("nsenter", "--net=/var/run/netns/"+ns, self), exited: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), ExecEnv+"="+strings.Join(args, "\n"))
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	return p
}

// Stop stops the node process (SIGTERM); its pods keep running, as a
// kubelet's do.
func (n *ClusterNode) Stop() { n.proc.Stop() }

// Restart stops the node process and starts it again with the same data
// dir (its credentials from the first start).
func (n *ClusterNode) Restart(t testing.TB) {
	t.Helper()
	n.proc.Stop()
	n.start(t)
}

// RestartWith is Restart with args added to the node's arguments (a
// later flag wins), for this and later restarts.
func (n *ClusterNode) RestartWith(t testing.TB, args ...string) {
	t.Helper()
	n.args = append(n.args, args...)
	n.Restart(t)
}

// Exited says why the node process exited, nil while it runs.
func (n *ClusterNode) Exited() error { return n.proc.Exited() }

// ImportImage imports img into the node's containerd.
func (n *ClusterNode) ImportImage(t testing.TB, img images.Image) {
	t.Helper()
	importImage(t, n.Endpoint, img)
}

// ImportImage imports img into every node's containerd.
func (c *Cluster) ImportImage(t testing.TB, img images.Image) {
	t.Helper()
	for _, n := range c.Nodes {
		n.ImportImage(t, img)
	}
}

// InNS runs a command in the node's network namespace and returns its
// combined output.
func (n *ClusterNode) InNS(args ...string) ([]byte, error) {
	return exec.Command("ip", append([]string{"netns", "exec", n.NS}, args...)...).CombinedOutput()
}

// Process is a `tinykube` process run by the test binary (see Main).
type Process struct {
	cmd    *exec.Cmd
	exited chan error
	done   bool
}

// Exited returns why the process exited, nil while it runs.
func (p *Process) Exited() error {
	select {
	case err := <-p.exited:
		p.exited <- err
		if err == nil {
			err = errors.New("exit status 0")
		}
		return err
	default:
		return nil
	}
}

// Stop sends SIGTERM and waits for the process (killing it after a
// minute); a second Stop does nothing.
func (p *Process) Stop() {
	if p.done {
		return
	}
	p.done = true
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// LockedBuffer collects a process's output, safe for concurrent writes.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func mustRun(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
