package nodelifecycle

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// The conditions a node's kubelet owns, which go Unknown when it stops
// heartbeating.
var kubeletConditions = []corev1.NodeConditionType{corev1.NodeReady, corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure}

// syncNode marks a stale node Unknown, makes its taints follow its Ready
// condition, and queues its pods when it is unhealthy. It returns the
// delay until the node's Lease would go stale.
func (c *Controller) syncNode(ctx context.Context, name string) (time.Duration, error) {
	node, err := c.nodes.Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	now := c.cfg.Clock.Now()
	staleAt := c.lastProbe(name).Add(c.cfg.GracePeriod)
	if !now.Before(staleAt) && needsUnknown(node) {
		// The status update brings the node back through the queue.
		return 0, c.markUnknown(ctx, node, now)
	}
	if err := c.syncTaints(ctx, node, now); err != nil {
		return 0, err
	}
	if readyStatus(node) != corev1.ConditionTrue || len(noExecuteTaints(node)) > 0 {
		objs, err := c.byNode.ByIndex(podsByNode, name)
		if err != nil {
			return 0, err
		}
		for _, obj := range objs {
			c.podQueue.Add(cache.MetaObjectToName(obj.(*corev1.Pod)))
		}
	}
	if now.Before(staleAt) {
		return staleAt.Sub(now), nil
	}
	return 0, nil
}

func needsUnknown(n *corev1.Node) bool {
	for _, t := range kubeletConditions {
		if c := condition(n, t); c == nil || c.Status != corev1.ConditionUnknown {
			return true
		}
	}
	return false
}

// markUnknown sets the kubelet's conditions to Unknown, as upstream does
// when a node stops posting status.
func (c *Controller) markUnknown(ctx context.Context, node *corev1.Node, now time.Time) error {
	n := node.DeepCopy()
	ts := metav1.NewTime(now)
	for _, t := range kubeletConditions {
		cond := condition(n, t)
		if cond == nil {
			n.Status.Conditions = append(n.Status.Conditions, corev1.NodeCondition{
				Type: t, Status: corev1.ConditionUnknown, Reason: "NodeStatusNeverUpdated", Message: "Kubelet never posted node status.",
				LastHeartbeatTime: n.CreationTimestamp, LastTransitionTime: ts,
			})
			continue
		}
		if cond.Status != corev1.ConditionUnknown {
			cond.Status, cond.Reason, cond.Message = corev1.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status."
			cond.LastTransitionTime = ts
		}
	}
	if _, err := c.client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("marking node %s unknown: %w", node.Name, err)
	}
	return nil
}

// pressureTaints are the NoSchedule taints a node carries while its
// kubelet reports the condition True, as upstream's
// doNoScheduleTaintingPass sets them.
var pressureTaints = []struct {
	condition corev1.NodeConditionType
	key       string
}{
	{corev1.NodeMemoryPressure, corev1.TaintNodeMemoryPressure},
	{corev1.NodeDiskPressure, corev1.TaintNodeDiskPressure},
	{corev1.NodePIDPressure, corev1.TaintNodePIDPressure},
}

// managedTaint: a taint key this controller sets and removes.
func managedTaint(key string) bool {
	if key == corev1.TaintNodeNotReady || key == corev1.TaintNodeUnreachable {
		return true
	}
	for _, p := range pressureTaints {
		if p.key == key {
			return true
		}
	}
	return false
}

// syncTaints makes the not-ready/unreachable taints match the Ready
// condition and the memory/disk/PID-pressure NoSchedule taints match
// the pressure conditions, leaving every other taint alone.
func (c *Controller) syncTaints(ctx context.Context, node *corev1.Node, now time.Time) error {
	var want []corev1.Taint
	switch readyStatus(node) {
	case corev1.ConditionFalse:
		want = taintsFor(corev1.TaintNodeNotReady, now)
	case corev1.ConditionUnknown:
		want = taintsFor(corev1.TaintNodeUnreachable, now)
	}
	for _, p := range pressureTaints {
		if cond := condition(node, p.condition); cond != nil && cond.Status == corev1.ConditionTrue {
			want = append(want, corev1.Taint{Key: p.key, Effect: corev1.TaintEffectNoSchedule})
		}
	}
	var taints []corev1.Taint
	changed := false
	for _, t := range node.Spec.Taints {
		if !managedTaint(t.Key) {
			taints = append(taints, t)
			continue
		}
		if i := indexOf(want, t); i >= 0 {
			taints = append(taints, t) // keep, with its timeAdded
			want = append(want[:i], want[i+1:]...)
			continue
		}
		changed = true
	}
	if len(want) > 0 {
		taints, changed = append(taints, want...), true
	}
	if !changed {
		return nil
	}
	n := node.DeepCopy()
	n.Spec.Taints = taints
	if _, err := c.client.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("tainting node %s: %w", node.Name, err)
	}
	return nil
}

func taintsFor(key string, now time.Time) []corev1.Taint {
	added := metav1.NewTime(now)
	return []corev1.Taint{
		{Key: key, Effect: corev1.TaintEffectNoSchedule},
		{Key: key, Effect: corev1.TaintEffectNoExecute, TimeAdded: &added},
	}
}

func indexOf(ts []corev1.Taint, t corev1.Taint) int {
	for i := range ts {
		if ts[i].Key == t.Key && ts[i].Effect == t.Effect {
			return i
		}
	}
	return -1
}

func condition(n *corev1.Node, t corev1.NodeConditionType) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == t {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

// readyStatus is the node's Ready status; a node that never reported
// counts as Unknown only once marked so, until then as True.
func readyStatus(n *corev1.Node) corev1.ConditionStatus {
	if c := condition(n, corev1.NodeReady); c != nil {
		return c.Status
	}
	return corev1.ConditionTrue
}

func noExecuteTaints(n *corev1.Node) []corev1.Taint {
	var out []corev1.Taint
	for _, t := range n.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoExecute {
			out = append(out, t)
		}
	}
	return out
}
