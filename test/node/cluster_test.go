package node

import (
	"context"
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/nodetest"
	"github.com/tinykube/tinykube/pkg/node/images"
)

// TestCluster checks the multi-node harness the networking tests build
// on: two nodes, each `tinykube node` in a network namespace of its own
// joined to one server, each gets a podCIDR of its own from the cluster
// CIDR and runs a pod with an address in it; on one L2 segment and
// with each node on a segment of its own.
func TestCluster(t *testing.T) {
	for _, routed := range []bool{false, true} {
		t.Run(map[bool]string{false: "l2", true: "routed"}[routed], func(t *testing.T) {
			testCluster(t, nodetest.StartCluster(t, nodetest.ClusterOptions{Nodes: 2, Routed: routed}))
		})
	}
}

func testCluster(t *testing.T, c *nodetest.Cluster) {
	img, err := images.Busybox(nodetest.BusyboxImage, "/bin/busybox")
	if err != nil {
		t.Skip(err)
	}
	c.ImportImage(t, img)
	ctx := context.Background()
	cluster := netip.MustParsePrefix(c.ClusterCIDR)
	seen := map[netip.Prefix]bool{}
	for _, n := range c.Nodes {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "on-" + n.Name, Namespace: "default"},
			Spec: corev1.PodSpec{NodeName: n.Name, TerminationGracePeriodSeconds: ptr.To[int64](1),
				Containers: []corev1.Container{{Name: "main", Image: nodetest.BusyboxImage, ImagePullPolicy: corev1.PullNever,
					Command: []string{"sleep", "3600"}}}},
		}
		if _, err := c.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		nd, err := c.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		podCIDR, err := netip.ParsePrefix(nd.Spec.PodCIDR)
		if err != nil || !cluster.Contains(podCIDR.Addr()) || seen[podCIDR] {
			t.Fatalf("node %s: podCIDR %q (%v), want a new one in %s", n.Name, nd.Spec.PodCIDR, err, cluster)
		}
		seen[podCIDR] = true
		controllertest.Eventually(t, "pod on "+n.Name+" Running with an address in "+podCIDR.String(), func(ctx context.Context) (bool, error) {
			p, err := c.Client.CoreV1().Pods("default").Get(ctx, pod.Name, metav1.GetOptions{})
			if err != nil || p.Status.Phase != corev1.PodRunning {
				return false, nil
			}
			ip, err := netip.ParseAddr(p.Status.PodIP)
			return err == nil && podCIDR.Contains(ip), nil
		})
	}
}
