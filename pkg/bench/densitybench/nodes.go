package densitybench

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// nodeState is what the run needs to know about the cluster's nodes.
type nodeState struct {
	ready       int
	podCapacity int64 // sum of allocatable pods over Ready, schedulable nodes
}

// waitNodes polls the node list until at least want nodes are Ready, or
// timeout. The bench never starts nodes: they come from `tinykube server
// --simulated-nodes` or `tinykube node --simulated`.
func waitNodes(ctx context.Context, client kubernetes.Interface, want int, timeout time.Duration, logf func(string, ...any)) (nodeState, error) {
	deadline := time.Now().Add(timeout)
	lastLog := time.Time{}
	for {
		st, total, err := listNodes(ctx, client)
		switch {
		case err != nil && ctx.Err() != nil:
			return st, ctx.Err()
		case err == nil && st.ready >= want:
			return st, nil
		case time.Now().After(deadline):
			if err != nil {
				return st, fmt.Errorf("waiting for %d Ready nodes: %w", want, err)
			}
			return st, fmt.Errorf("only %d of %d nodes Ready after %v (%d nodes registered)", st.ready, want, timeout, total)
		}
		if time.Since(lastLog) >= 5*time.Second {
			if err != nil {
				logf("waiting for %d Ready nodes: %v", want, err)
			} else {
				logf("waiting for %d Ready nodes: %d Ready of %d registered", want, st.ready, total)
			}
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func listNodes(ctx context.Context, client kubernetes.Interface) (nodeState, int, error) {
	var st nodeState
	list, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return st, 0, err
	}
	for i := range list.Items {
		n := &list.Items[i]
		if !nodeReady(n) {
			continue
		}
		st.ready++
		if !n.Spec.Unschedulable {
			if q, ok := n.Status.Allocatable[corev1.ResourcePods]; ok {
				st.podCapacity += q.Value()
			}
		}
	}
	return st, len(list.Items), nil
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
