package node_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

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
	poll(t, "node Ready", 30*time.Second, func(ctx context.Context) (bool, error) {
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
			deadline := time.Now().Add(1500 * time.Millisecond)
			for time.Now().Before(deadline) {
				n, err := nodes.Get(ctx, "ext-0", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				for what, l := range map[string]corev1.ResourceList{"capacity": n.Status.Capacity, "allocatable": n.Status.Allocatable} {
					if got, ok := l[tc.resource]; !ok || got.Cmp(q) != 0 {
						t.Fatalf("%s[%s] = %v (present %v), want %s", what, tc.resource, got.String(), ok, tc.quantity)
					}
					if _, ok := l[corev1.ResourcePods]; !ok {
						t.Fatalf("%s lost the agent's pods resource: %v", what, l)
					}
				}
				time.Sleep(100 * time.Millisecond)
			}

			n, err := nodes.Get(ctx, "ext-0", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			delete(n.Status.Capacity, tc.resource)
			delete(n.Status.Allocatable, tc.resource)
			if _, err := nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(600 * time.Millisecond)
			if n, err = nodes.Get(ctx, "ext-0", metav1.GetOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, ok := n.Status.Capacity[tc.resource]; ok {
				t.Errorf("removed %s came back: %v", tc.resource, n.Status.Capacity)
			}
		})
	}
}
