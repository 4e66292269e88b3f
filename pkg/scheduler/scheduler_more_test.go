package scheduler_test

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestResourcesAccounted: 3 nodes of 4 cpu take 12 pods of 1 cpu,
// created all at once (assumed pods count before the informer sees
// them); the 13th stays pending until a node is added.
func TestResourcesAccounted(t *testing.T) {
	c := startCluster(t)
	for _, n := range []string{"n1", "n2", "n3"} {
		c.addNode(n, nodeSpec{})
	}
	var names []string
	for i := range 12 {
		names = append(names, fmt.Sprintf("p%02d", i))
		c.create(pod(names[i], "1"))
	}
	perNode := map[string]int{}
	for _, n := range c.waitBound(names...) {
		perNode[n]++
	}
	for _, n := range []string{"n1", "n2", "n3"} {
		if perNode[n] != 4 {
			t.Errorf("%s has %d pods, want 4 (%v)", n, perNode[n], perNode)
		}
	}
	c.create(pod("extra", "1"))
	c.waitUnschedulable("extra", "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.")
	c.addNode("n4", nodeSpec{})
	if n := c.waitBound("extra")["extra"]; n != "n4" {
		t.Errorf("extra on %s, want n4", n)
	}
}

func TestTooManyPods(t *testing.T) {
	c := startCluster(t)
	c.addNode("small", nodeSpec{pods: 2})
	c.create(pod("a", ""))
	c.create(pod("b", ""))
	c.waitBound("a", "b")
	c.create(pod("c", ""))
	c.waitUnschedulable("c", "0/1 nodes are available: 1 Too many pods.")
}

func TestAntiAffinityOnePerNode(t *testing.T) {
	c := startCluster(t)
	for _, n := range []string{"n1", "n2", "n3"} {
		c.addNode(n, nodeSpec{})
	}
	var names []string
	for i := range 4 {
		p := pod(fmt.Sprintf("web%d", i), "")
		p.Labels = map[string]string{"app": "web"}
		p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
				TopologyKey:   corev1.LabelHostname,
			}},
		}}
		c.create(p)
		names = append(names, p.Name)
	}
	var bound []string
	var pending string
	c.poll("3 bound, 1 pending", func() (bool, error) {
		bound, pending = nil, ""
		for _, name := range names {
			p, err := c.client.CoreV1().Pods("default").Get(c.ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if p.Spec.NodeName != "" {
				bound = append(bound, p.Spec.NodeName)
			} else {
				pending = name
			}
		}
		return len(bound) == 3, nil
	})
	seen := map[string]bool{}
	for _, n := range bound {
		if seen[n] {
			t.Fatalf("two web pods on %s: %v", n, bound)
		}
		seen[n] = true
	}
	c.waitUnschedulable(pending, "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.")
	// Pod affinity on a topology key no node has: no node qualifies,
	// though three run matching pods.
	friend := pod("friend", "")
	friend.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			TopologyKey:   "zone-that-no-node-has",
		}},
	}}
	c.create(friend)
	c.waitUnschedulable("friend", "0/3 nodes are available: 3 node(s) didn't match pod affinity rules.")
}

func TestTopologySpread(t *testing.T) {
	c := startCluster(t)
	// Zone a has two nodes, zone b one: pods must still split evenly by
	// zone, so zone b's node takes as many as both zone a nodes.
	c.addNode("a1", nodeSpec{labels: map[string]string{corev1.LabelTopologyZone: "a"}})
	c.addNode("a2", nodeSpec{labels: map[string]string{corev1.LabelTopologyZone: "a"}})
	c.addNode("b1", nodeSpec{labels: map[string]string{corev1.LabelTopologyZone: "b"}})
	c.addNode("nozone", nodeSpec{})
	var names []string
	for i := range 6 {
		p := pod(fmt.Sprintf("s%d", i), "")
		p.Labels = map[string]string{"app": "spread"}
		p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "spread"}},
		}}
		c.create(p)
		names = append(names, p.Name)
	}
	zones := map[string]int{}
	for _, n := range c.waitBound(names...) {
		switch n {
		case "a1", "a2":
			zones["a"]++
		case "b1":
			zones["b"]++
		default:
			t.Errorf("pod on %s, which has no zone", n)
		}
	}
	if zones["a"] != 3 || zones["b"] != 3 {
		t.Errorf("pods per zone = %v, want 3 and 3", zones)
	}
}

func TestPreemption(t *testing.T) {
	c := startCluster(t)
	c.addNode("only", nodeSpec{cpu: "2"})
	for name, value := range map[string]int32{"low": 10, "high": 1000} {
		pc := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value}
		if _, err := c.client.SchedulingV1().PriorityClasses().Create(c.ctx, pc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Priority admission resolves the class; a mismatching priority or a
	// missing class is Forbidden.
	bad := pod("bad", "")
	bad.Spec.PriorityClassName = "missing"
	if _, err := c.client.CoreV1().Pods("default").Create(c.ctx, bad, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("pod with missing priority class: err = %v, want Forbidden", err)
	}
	low1, low2 := pod("low1", "1"), pod("low2", "1")
	low1.Spec.PriorityClassName, low2.Spec.PriorityClassName = "low", "low"
	c.create(low1)
	c.create(low2)
	c.waitBound("low1", "low2")
	got, err := c.client.CoreV1().Pods("default").Get(c.ctx, "low1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.Priority == nil || *got.Spec.Priority != 10 {
		t.Fatalf("low1 priority = %v, want 10", got.Spec.Priority)
	}

	// A pod of the same priority cannot preempt.
	peer := pod("peer", "1")
	peer.Spec.PriorityClassName = "low"
	c.create(peer)
	c.waitUnschedulable("peer", "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")
	if err := c.client.CoreV1().Pods("default").Delete(c.ctx, "peer", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	high := pod("high", "1")
	high.Spec.PriorityClassName = "high"
	c.create(high)
	if n := c.waitBound("high")["high"]; n != "only" {
		t.Fatalf("high on %q", n)
	}
	// Exactly one low pod was preempted.
	left := 0
	for _, name := range []string{"low1", "low2"} {
		if _, err := c.client.CoreV1().Pods("default").Get(c.ctx, name, metav1.GetOptions{}); err == nil {
			left++
		} else if !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
	}
	if left != 1 {
		t.Fatalf("%d low pods left, want 1", left)
	}
}
