package node

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/imagetest"
	"github.com/tinykube/tinykube/internal/nodetest"
	"github.com/tinykube/tinykube/pkg/network/routes"
	"github.com/tinykube/tinykube/pkg/node/images"
)

const testServerImage = "tinykube.test/testserver:1"

// testServerImg is busybox plus /testserver (test/images/testserver).
func testServerImg(t *testing.T) images.Image {
	t.Helper()
	img, err := images.Busybox(testServerImage, "/bin/busybox")
	if err != nil {
		t.Skip(err)
	}
	bin, err := os.ReadFile(imagetest.TestServerBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	img.Files = append(img.Files, images.File{Name: "/testserver", Mode: 0o755, Data: bin})
	return img
}

// runPod starts a pod of the test-server image on node n running args
// and returns it Running, with its IP.
func runPod(t *testing.T, c *nodetest.Cluster, n *nodetest.ClusterNode, name string, args ...string) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.PodSpec{NodeName: n.Name, TerminationGracePeriodSeconds: ptr.To[int64](1),
			Containers: []corev1.Container{{Name: "main", Image: testServerImage, ImagePullPolicy: corev1.PullNever, Command: args}}},
	}
	if _, err := c.Client.CoreV1().Pods("default").Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.EventuallyWithin(t, "pod "+name+" Running", 2*time.Minute, func(ctx context.Context) (bool, error) {
		p, err := c.Client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil || p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" {
			return false, nil
		}
		pod = p
		return true, nil
	})
	return pod
}

// podExec runs cmd in pod's container (namespace default) through the
// API server.
func podExec(ctx context.Context, c *nodetest.Cluster, pod string, cmd ...string) (string, error) {
	return podExecIn(ctx, c, "default", pod, cmd...)
}

// podExecIn is podExec for a pod in namespace ns.
func podExecIn(ctx context.Context, c *nodetest.Cluster, ns, pod string, cmd ...string) (string, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(rc.Host + "/api/v1/namespaces/" + ns + "/pods/" + pod + "/exec")
	if err != nil {
		return "", err
	}
	u.RawQuery = url.Values{"command": cmd, "stdout": {"true"}, "stderr": {"true"}}.Encode()
	ex, err := remotecommand.NewWebSocketExecutor(rc, "GET", u.String())
	if err != nil {
		return "", err
	}
	// Stdout and stderr are copied concurrently: one locked buffer (a
	// bytes.Buffer written from both loses output).
	var out nodetest.LockedBuffer
	err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &out, Stderr: &out})
	return out.String(), err
}

// clientIP has pod client fetch /clientip from a netexec at ip and
// returns the address the server saw (empty and an error on failure).
func clientIP(ctx context.Context, c *nodetest.Cluster, client, ip string) (string, error) {
	out, err := podExec(ctx, c, client, "/testserver", "http-get", "--timeout", "2s", "http://"+net.JoinHostPort(ip, "8080")+"/clientip")
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, out)
	}
	host, _, err := net.SplitHostPort(strings.TrimSpace(out))
	return host, err
}

// expectReach: client reaches server's netexec, which sees client's own
// IP (no masquerading between nodes).
func expectReach(t *testing.T, c *nodetest.Cluster, client, server *corev1.Pod) {
	t.Helper()
	var last string
	defer func() {
		if t.Failed() {
			t.Logf("last attempt: %s", last)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			out, err := podExec(ctx, c, client.Name, "echo", "hi")
			t.Logf("exec echo: %q %v", out, err)
			for _, n := range c.Nodes {
				o1, _ := n.InNS("ip", "route")
				o2, _ := n.InNS("curl", "-sS", "-m", "2", "http://"+net.JoinHostPort(server.Status.PodIP, "8080")+"/clientip")
				t.Logf("%s routes:\n%s\nwget from the node: %s", n.Name, o1, o2)
			}
			b, err := c.Client.CoreV1().Pods("default").GetLogs(server.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
			t.Logf("%s's log: %s %v", server.Name, b, err)
			if d, err := time.ParseDuration(os.Getenv("TINYKUBE_TEST_PAUSE")); err == nil {
				time.Sleep(d)
			}
		}
	}()
	controllertest.EventuallyWithin(t, client.Name+" reaches "+server.Name+" with its own IP", 45*time.Second, func(ctx context.Context) (bool, error) {
		// An exec can stall on a loaded machine: each try has 10 s.
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		seen, err := clientIP(ctx, c, client.Name, server.Status.PodIP)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		if seen != client.Status.PodIP {
			return false, fmt.Errorf("%s saw %s's connection from %s, want its pod IP %s", server.Name, client.Name, seen, client.Status.PodIP)
		}
		return true, nil
	})
}

// ownedRoutes are the node's routes made by the routing agent.
func ownedRoutes(t *testing.T, n *nodetest.ClusterNode) string {
	t.Helper()
	out, err := n.InNS("ip", "-4", "route", "show", "proto", fmt.Sprint(routes.Protocol))
	if err != nil {
		t.Fatalf("ip route on %s: %v: %s", n.Name, err, out)
	}
	return string(out)
}

func podCIDR(t *testing.T, c *nodetest.Cluster, n *nodetest.ClusterNode) string {
	t.Helper()
	nd, err := c.Client.CoreV1().Nodes().Get(context.Background(), n.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return nd.Spec.PodCIDR
}

// waitRoute waits (10 s) until n has (or, !present, has not) its route
// to podCIDR via.
func waitRoute(t *testing.T, n *nodetest.ClusterNode, cidr, via string, present bool) {
	t.Helper()
	want := cidr + " via " + via
	controllertest.EventuallyWithin(t, fmt.Sprintf("%s: route %s present=%v", n.Name, want, present), 10*time.Second, func(context.Context) (bool, error) {
		return strings.Contains(ownedRoutes(t, n), want) == present, nil
	})
}

// TestPodRoutesHostGW: three nodes on one L2 segment with host-gw
// routing (the default): pods on different nodes reach each other by IP
// and keep their source address; every node has a route to every other
// node's podCIDR; a node joining gets routes and one leaving has its
// routes removed everywhere within seconds; a restarted node agent keeps
// its pods' addresses and routes, removes stale routes of its own and
// leaves others' routes alone; a Node with a bad podCIDR is skipped.
func TestPodRoutesHostGW(t *testing.T) {
	c := nodetest.StartCluster(t, nodetest.ClusterOptions{Nodes: 3})
	c.ImportImage(t, testServerImg(t))
	n0, n1, n2 := c.Nodes[0], c.Nodes[1], c.Nodes[2]
	srv := runPod(t, c, n0, "srv", "/testserver", "netexec", "--http-port", "8080")
	cli1 := runPod(t, c, n1, "cli-1", "sleep", "3600")
	cli2 := runPod(t, c, n2, "cli-2", "sleep", "3600")
	expectReach(t, c, cli1, srv)
	expectReach(t, c, cli2, srv)
	for _, n := range c.Nodes {
		for _, m := range c.Nodes {
			if n != m {
				waitRoute(t, n, podCIDR(t, c, m), m.IP, true)
			}
		}
	}

	// Nodes that cannot be routed are skipped with a reason; the others
	// stay routed. (A malformed podCIDR the API server rejects; the
	// unit tests cover it.)
	for name, bad := range map[string][2]string{
		"bogus-overlap": {podCIDR(t, c, n0), "10.251.0.99"},
		"bogus-ip":      {"10.254.99.0/24", "10.251.0.999"},
	} {
		nd := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{PodCIDR: bad[0], PodCIDRs: []string{bad[0]}}}
		nd, err := c.Client.CoreV1().Nodes().Create(context.Background(), nd, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		nd.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: bad[1]}}
		if _, err := c.Client.CoreV1().Nodes().UpdateStatus(context.Background(), nd, metav1.UpdateOptions{}); err != nil {
			t.Logf("node %s with InternalIP %s: %v", name, bad[1], err)
			continue
		}
		controllertest.EventuallyWithin(t, name+" skipped with a reason", 10*time.Second, func(context.Context) (bool, error) {
			return strings.Contains(n1.Log.String(), "node="+name), nil
		})
		if err := c.Client.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if routes := ownedRoutes(t, n1); strings.Count(routes, "\n") != 2 {
		t.Errorf("%s's routes with the bad nodes:\n%s", n1.Name, routes)
	}
	expectReach(t, c, cli1, srv)

	// Restart: stale routes of its own go, others' stay, pods keep
	// their addresses and reach across.
	if out, err := n1.InNS("ip", "route", "add", "10.99.1.0/24", "via", n0.IP, "proto", fmt.Sprint(routes.Protocol)); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if out, err := n1.InNS("ip", "route", "add", "10.99.2.0/24", "via", n0.IP); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	n1.Restart(t)
	if !strings.Contains(ownedRoutes(t, n1), podCIDR(t, c, n0)+" via "+n0.IP) {
		t.Errorf("%s lost its routes while restarting:\n%s", n1.Name, ownedRoutes(t, n1))
	}
	c.WaitReady(t, n1)
	waitRoute(t, n1, "10.99.1.0/24", n0.IP, false)
	if out, _ := n1.InNS("ip", "route", "show", "10.99.2.0/24"); !strings.Contains(string(out), "via "+n0.IP) {
		t.Errorf("route the agent did not make removed: %q", out)
	}
	p, err := c.Client.CoreV1().Pods("default").Get(context.Background(), "cli-1", metav1.GetOptions{})
	if err != nil || p.Status.PodIP != cli1.Status.PodIP {
		t.Errorf("cli-1 after the restart: IP %q (%v), was %s", p.Status.PodIP, err, cli1.Status.PodIP)
	}
	expectReach(t, c, cli1, srv)

	// A node joins: every node routes to it; it leaves: the routes go.
	n3 := c.AddNode(t)
	cidr3 := podCIDR(t, c, n3)
	for _, n := range []*nodetest.ClusterNode{n0, n1, n2} {
		waitRoute(t, n, cidr3, n3.IP, true)
		waitRoute(t, n3, podCIDR(t, c, n), n.IP, true)
	}
	n3.Stop()
	if err := c.Client.CoreV1().Nodes().Delete(context.Background(), n3.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*nodetest.ClusterNode{n0, n1, n2} {
		waitRoute(t, n, cidr3, n3.IP, false)
	}
}

// TestPodRoutesVXLAN: nodes each on a segment of their own (routed by
// the host): host-gw cannot route between them (the kernel refuses the
// gateway, the agent says so), the vxlan backend can; switching is a
// restart with --pod-network vxlan; pods made then get the device's
// lower MTU.
func TestPodRoutesVXLAN(t *testing.T) {
	c := nodetest.StartCluster(t, nodetest.ClusterOptions{Nodes: 2, Routed: true})
	c.ImportImage(t, testServerImg(t))
	n0, n1 := c.Nodes[0], c.Nodes[1]
	srv := runPod(t, c, n0, "srv", "/testserver", "netexec", "--http-port", "8080")
	cli := runPod(t, c, n1, "cli", "sleep", "3600")
	controllertest.EventuallyWithin(t, "host-gw route refused", 10*time.Second, func(context.Context) (bool, error) {
		return strings.Contains(n1.Log.String(), "route refused"), nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if seen, err := clientIP(ctx, c, cli.Name, srv.Status.PodIP); err == nil {
		t.Errorf("host-gw between routed nodes: %s reached %s (seen as %s)", cli.Name, srv.Name, seen)
	}
	cancel()

	for _, n := range c.Nodes {
		n.RestartWith(t, "--pod-network", "vxlan")
	}
	for _, n := range c.Nodes {
		c.WaitReady(t, n)
	}
	expectReach(t, c, cli, srv)
	for _, pair := range [][2]*nodetest.ClusterNode{{n0, n1}, {n1, n0}} {
		n, m := pair[0], pair[1]
		cidr := podCIDR(t, c, m)
		vtep := strings.TrimSuffix(cidr, "/24")
		waitRoute(t, n, cidr, vtep, true)
		if out, _ := n.InNS("ip", "route", "show", cidr); !strings.Contains(string(out), "dev "+routes.DeviceName) || !strings.Contains(string(out), "onlink") {
			t.Errorf("%s: route to %s not onlink on %s: %s", n.Name, cidr, routes.DeviceName, out)
		}
		out, _ := n.InNS("bridge", "fdb", "show", "dev", routes.DeviceName)
		if !strings.Contains(string(out), "dst "+m.IP) {
			t.Errorf("%s: no fdb entry to %s: %s", n.Name, m.IP, out)
		}
		out, _ = n.InNS("ip", "-d", "link", "show", routes.DeviceName)
		if !strings.Contains(string(out), "mtu 1450") || !strings.Contains(string(out), "vxlan id 1") || !strings.Contains(string(out), "dstport 8472") || !strings.Contains(string(out), "nolearning") {
			t.Errorf("%s: device: %s", n.Name, out)
		}
	}
	cli2 := runPod(t, c, n1, "cli-2", "sleep", "3600")
	if out := runToEnd(t, c, n1, "mtu", "cat /sys/class/net/eth0/mtu"); strings.TrimSpace(out) != "1450" {
		t.Errorf("new pod's MTU under vxlan: %q, want 1450", out)
	}
	expectReach(t, c, cli2, srv)
	// Full-size segments cross the tunnel both ways (the MTUs agree).
	srv2 := runPod(t, c, n0, "srv-2", "sh", "-c", "/testserver tcp-echo --port 7 & exec /testserver tcp-sink --port 5201")
	if out := runToEnd(t, c, n1, "stream", "/testserver tcp-bench --addr "+net.JoinHostPort(srv2.Status.PodIP, "5201")+" --duration 1s"); !strings.Contains(out, "Mbit/s") {
		t.Errorf("a 1 s TCP stream across vxlan: %q", out)
	}
}
