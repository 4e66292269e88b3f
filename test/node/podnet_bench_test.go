package node

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/imagetest"
	"github.com/tinykube/tinykube/internal/nodetest"
)

// TestPodNetworkBench (BENCHMARKS.md §7; only with TINYKUBE_NET_BENCH=N,
// N runs): pod-to-pod TCP throughput (one stream, 5 s) and 1-byte round
// trips (5 s) across two nodes, host-gw and vxlan, against the same
// test-server tool between two network namespaces joined by one plain
// veth pair, and between the two nodes' own namespaces (the test's wire:
// veth, host bridge, veth; or veth, host routing, veth). Each run is a
// pod of its own (its log read after: a long silent exec here loses its
// output now and then); runs alternate pods, veth, wire; the medians
// are logged.
func TestPodNetworkBench(t *testing.T) {
	runs, _ := strconv.Atoi(os.Getenv("TINYKUBE_NET_BENCH"))
	if runs <= 0 {
		t.Skip("set TINYKUBE_NET_BENCH=<runs> to run the pod network benchmark")
	}
	bin := imagetest.TestServerBinary(t)
	veth := newVethPair(t, bin)
	for _, mode := range []string{"host-gw", "vxlan"} {
		t.Run(mode, func(t *testing.T) {
			c := nodetest.StartCluster(t, nodetest.ClusterOptions{Nodes: 2, Routed: mode == "vxlan", NodeArgs: []string{"--pod-network", mode}})
			c.ImportImage(t, testServerImg(t))
			srv := runPod(t, c, c.Nodes[0], "sink", "sh", "-c", "/testserver tcp-echo --port 7 & exec /testserver tcp-sink --port 5201")
			cli := runPod(t, c, c.Nodes[1], "bench", "sleep", "3600")
			expectReachTCP(t, c, cli.Name, srv.Status.PodIP)
			// The wire between the two nodes' namespaces, without pods: the
			// same tool run in the nodes' own namespaces.
			wire := &vethPair{a: c.Nodes[0].NS, b: c.Nodes[1].NS, bin: bin, ip: c.Nodes[0].IP}
			wire.serve(t)
			var pod, base, node, nobrnf results
			// TINYKUBE_NET_BENCH_BRNF=1: also pods with
			// net.bridge.bridge-nf-call-iptables=0 in the nodes'
			// namespaces (bridged packets skip netfilter).
			brnf := os.Getenv("TINYKUBE_NET_BENCH_BRNF") == "1"
			setBrnf := func(v string) {
				for _, n := range c.Nodes {
					if out, err := n.InNS("sysctl", "-w", "net.bridge.bridge-nf-call-iptables="+v); err != nil {
						t.Fatalf("%v: %s", err, out)
					}
				}
			}
			for i := 0; i < runs; i++ {
				pod.add(t, podBench(t, c, c.Nodes[1], i, srv.Status.PodIP))
				base.add(t, veth.bench(t))
				node.add(t, wire.bench(t))
				if brnf {
					setBrnf("0")
					nobrnf.add(t, podBench(t, c, c.Nodes[1], runs+i, srv.Status.PodIP))
					setBrnf("1")
				}
			}
			if brnf {
				t.Logf("%s: pods with bridge-nf-call-iptables=0 on the nodes: %s; /veth: throughput %.0f %%, round trips/s %.0f %%",
					mode, nobrnf, 100*nobrnf.median(0)/base.median(0), 100*nobrnf.median(1)/base.median(1))
			}
			t.Logf("%s, %d runs, medians: pods across nodes: %s; plain veth: %s; node to node (the test's wire, no pods): %s; pods/veth: throughput %.0f %%, round trips/s %.0f %%; pods/wire: throughput %.0f %%, round trips/s %.0f %%",
				mode, runs, pod, base, node, 100*pod.median(0)/base.median(0), 100*pod.median(1)/base.median(1),
				100*pod.median(0)/node.median(0), 100*pod.median(1)/node.median(1))
		})
	}
}

// results are runs of [Mbit/s, round trips/s, p50 µs, p99 µs].
type results [][4]float64

var benchRE = regexp.MustCompile(`(?s)stream (\d+) Mbit/s.*rr (\d+)/s p50 ([\d.]+) µs p99 ([\d.]+) µs`)

func (r *results) add(t *testing.T, out string) {
	t.Helper()
	m := benchRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("tcp-bench output: %q", out)
	}
	var v [4]float64
	for i := range v {
		v[i], _ = strconv.ParseFloat(m[i+1], 64)
	}
	*r = append(*r, v)
}

func (r results) median(i int) float64 {
	var xs []float64
	for _, v := range r {
		xs = append(xs, v[i])
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}

func (r results) String() string {
	return fmt.Sprintf("%.0f Mbit/s, %.0f round trips/s, p50 %.1f µs, p99 %.1f µs", r.median(0), r.median(1), r.median(2), r.median(3))
}

const benchScript = "/testserver tcp-bench --addr %[1]s:5201 --mode stream --duration 5s && /testserver tcp-bench --addr %[1]s:7 --mode rr --duration 5s"

// podBench runs the benchmark in a new pod on node n.
func podBench(t *testing.T, c *nodetest.Cluster, n *nodetest.ClusterNode, run int, ip string) string {
	t.Helper()
	return runToEnd(t, c, n, fmt.Sprintf("bench-%d", run), fmt.Sprintf(benchScript, ip))
}

// runToEnd runs script in a new pod of the test-server image on node n
// and returns its log once it has succeeded (not an exec: a long silent
// exec loses its output here now and then).
func runToEnd(t *testing.T, c *nodetest.Cluster, n *nodetest.ClusterNode, name, script string) string {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.PodSpec{NodeName: n.Name, RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{Name: "main", Image: testServerImage, ImagePullPolicy: corev1.PullNever,
				Command: []string{"sh", "-c", script}}}},
	}
	ctx := context.Background()
	if _, err := c.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var phase corev1.PodPhase
	controllertest.EventuallyWithin(t, "pod "+name+" finished", 2*time.Minute, func(ctx context.Context) (bool, error) {
		p, err := c.Client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		phase = p.Status.Phase
		return phase == corev1.PodSucceeded || phase == corev1.PodFailed, nil
	})
	b, err := c.Client.CoreV1().Pods("default").GetLogs(name, &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil || phase != corev1.PodSucceeded {
		t.Fatalf("pod %s: %s, log %q %v", name, phase, b, err)
	}
	_ = c.Client.CoreV1().Pods("default").Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
	return string(b)
}

func expectReachTCP(t *testing.T, c *nodetest.Cluster, pod, ip string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		out, err := podExec(ctx, c, pod, "/testserver", "tcp-bench", "--addr", ip+":7", "--mode", "rr", "--duration", "100ms")
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("%s cannot reach %s: %v: %s", pod, ip, err, out)
		}
		time.Sleep(time.Second)
	}
}

// vethPair is two network namespaces joined by one veth pair, the
// server side running tcp-sink and tcp-echo.
type vethPair struct {
	a, b, bin string
	// ip is the server's address in a.
	ip string
}

func newVethPair(t *testing.T, bin string) *vethPair {
	t.Helper()
	id := rand.IntN(1000)
	v := &vethPair{a: fmt.Sprintf("tkvb-%d-a", id), b: fmt.Sprintf("tkvb-%d-b", id), bin: bin, ip: "10.253.0.1"}
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	for _, ns := range []string{v.a, v.b} {
		run("ip", "netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	}
	run("ip", "-n", v.a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", v.b)
	run("ip", "-n", v.a, "addr", "add", "10.253.0.1/30", "dev", "eth0")
	run("ip", "-n", v.b, "addr", "add", "10.253.0.2/30", "dev", "eth0")
	for _, ns := range []string{v.a, v.b} {
		run("ip", "-n", ns, "link", "set", "eth0", "up")
		run("ip", "-n", ns, "link", "set", "lo", "up")
	}
	v.serve(t)
	return v
}

// serve runs tcp-sink and tcp-echo in namespace a until the test ends.
func (v *vethPair) serve(t *testing.T) {
	t.Helper()
	bin := v.bin
	for _, mode := range [][]string{{"tcp-sink", "--port", "5201"}, {"tcp-echo", "--port", "7"}} {
		cmd := exec.Command("ip", append([]string{"netns", "exec", v.a, bin}, mode...)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	time.Sleep(500 * time.Millisecond)
}

func (v *vethPair) bench(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", v.b, "sh", "-c", strings.ReplaceAll(fmt.Sprintf(benchScript, v.ip), "/testserver", v.bin)).CombinedOutput()
	if err != nil {
		t.Fatalf("tcp-bench between veth namespaces: %v: %s", err, out)
	}
	return string(out)
}
