package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/node"
)

// TestNodeStatusKeepsOthersResources: resources someone else patched into
// a node's capacity/allocatable (extended resources, as e2e's
// AddExtendedResource does) survive the agent's status reports, and stay
// gone once removed; the agent's own resources are restored.
func TestNodeStatusKeepsOthersResources(t *testing.T) {
	s := testserver.Start(t, "")
	startControllers(t, s, "nodeipam")
	startAgent(t, s, "ext-", 0, 1, func(c *node.Config) { c.StatusReportInterval = 200 * time.Millisecond })
	ctx := context.Background()
	nodes := s.Client.CoreV1().Nodes()
	controllertest.EventuallyWithin(t, "node Ready", 30*time.Second, func(ctx context.Context) (bool, error) {
		n, err := nodes.Get(ctx, "ext-0", metav1.GetOptions{})
		return err == nil && readyCondition(n) == corev1.ConditionTrue, nil
	})

	for _, tc := range []struct {
		name     string
		resource corev1.ResourceName
		quantity string
	}{
		{"extended resource", "scheduling.k8s.io/foo", "5"},
		{"hugepages", "hugepages-2Mi", "64Mi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := resource.MustParse(tc.quantity)
			rl := corev1.ResourceList{tc.resource: q}
			patch, _ := json.Marshal(map[string]any{"status": map[string]any{"capacity": rl, "allocatable": rl}})
			if _, err := nodes.Patch(ctx, "ext-0", types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil {
				t.Fatal(err)
			}
			// Several reports go by; the resource must be there after each.
			afterReports(t, nodes, 3, func(n *corev1.Node) {
				for what, l := range map[string]corev1.ResourceList{"capacity": n.Status.Capacity, "allocatable": n.Status.Allocatable} {
					if got, ok := l[tc.resource]; !ok || got.Cmp(q) != 0 {
						t.Fatalf("%s[%s] = %v (present %v), want %s", what, tc.resource, got.String(), ok, tc.quantity)
					}
					if _, ok := l[corev1.ResourcePods]; !ok {
						t.Fatalf("%s lost the agent's pods resource: %v", what, l)
					}
				}
			})

			n, err := nodes.Get(ctx, "ext-0", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			delete(n.Status.Capacity, tc.resource)
			delete(n.Status.Allocatable, tc.resource)
			if _, err := nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			afterReports(t, nodes, 2, func(n *corev1.Node) {
				if _, ok := n.Status.Capacity[tc.resource]; ok {
					t.Fatalf("removed %s came back: %v", tc.resource, n.Status.Capacity)
				}
			})
		})
	}
}

// afterReports waits until the agent has reported node ext-0's status
// n more times (its Ready heartbeat moved on n times), calling check on
// the node as each report left it.
func afterReports(t *testing.T, nodes corev1client.NodeInterface, n int, check func(*corev1.Node)) {
	t.Helper()
	heartbeat := func(node *corev1.Node) metav1.Time {
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady {
				return c.LastHeartbeatTime
			}
		}
		return metav1.Time{}
	}
	var last metav1.Time
	seen := -1 // the first read is the baseline, not a report
	controllertest.Eventually(t, fmt.Sprintf("%d status reports", n), func(ctx context.Context) (bool, error) {
		node, err := nodes.Get(ctx, "ext-0", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if hb := heartbeat(node); seen < 0 || !hb.Equal(&last) {
			if seen >= 0 {
				check(node)
			}
			last, seen = hb, seen+1
		}
		return seen >= n, nil
	})
}
