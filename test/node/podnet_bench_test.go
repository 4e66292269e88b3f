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

	"github.com/tinykube/tinykube/internal/imagetest"
	"github.com/tinykube/tinykube/internal/nodetest"
)

// TestPodNetworkBench (BENCHMARKS.md §7; only with TINYKUBE_NET_BENCH=N,
// N runs): pod-to-pod TCP throughput (one stream, 5 s) and 1-byte round
// trips (5 s) across two nodes, host-gw and vxlan, against the same
// test-server tool between two network namespaces joined by one plain
// veth pair. Runs alternate between the pods and the veth pair; the
// medians are logged.
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
			var pod, base results
			for i := 0; i < runs; i++ {
				pod.add(t, podBench(t, c, cli.Name, srv.Status.PodIP))
				base.add(t, veth.bench(t))
			}
			t.Logf("%s, %d runs, medians: pods across nodes: %s; plain veth: %s; ratio: throughput %.0f %%, round trips/s %.0f %%, p50 latency %.0f %%",
				mode, runs, pod, base, 100*pod.median(0)/base.median(0), 100*pod.median(1)/base.median(1), 100*base.median(2)/pod.median(2))
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

func podBench(t *testing.T, c *nodetest.Cluster, pod, ip string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := podExec(ctx, c, pod, "sh", "-c", fmt.Sprintf(benchScript, ip))
	if err != nil {
		t.Fatalf("tcp-bench in %s: %v: %s", pod, err, out)
	}
	return out
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
}

func newVethPair(t *testing.T, bin string) *vethPair {
	t.Helper()
	id := rand.IntN(1000)
	v := &vethPair{a: fmt.Sprintf("tkvb-%d-a", id), b: fmt.Sprintf("tkvb-%d-b", id), bin: bin}
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
	for _, mode := range [][]string{{"tcp-sink", "--port", "5201"}, {"tcp-echo", "--port", "7"}} {
		cmd := exec.Command("ip", append([]string{"netns", "exec", v.a, bin}, mode...)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	time.Sleep(500 * time.Millisecond)
	return v
}

func (v *vethPair) bench(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", v.b, "sh", "-c", strings.ReplaceAll(fmt.Sprintf(benchScript, "10.253.0.1"), "/testserver", v.bin)).CombinedOutput()
	if err != nil {
		t.Fatalf("tcp-bench between veth namespaces: %v: %s", err, out)
	}
	return string(out)
}
