package scheduler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/scheduler"
)

// cluster is a test server with a scheduler running against it.
type cluster struct {
	t      testing.TB
	ctx    context.Context
	client kubernetes.Interface
}

func startCluster(t testing.TB) *cluster {
	t.Helper()
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	cfg := scheduler.DefaultConfig()
	cfg.RESTConfig, cfg.LeaderElect = s.RESTConfig, false
	cfg.QPS, cfg.Burst = 5000, 10000
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := scheduler.Run(ctx, cfg); err != nil {
			t.Errorf("scheduler: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return &cluster{t: t, ctx: ctx, client: s.Client}
}

// nodeSpec describes a test node; zero fields take defaults (4 cpu,
// 16Gi, 110 pods).
type nodeSpec struct {
	cpu, memory string
	pods        int
	labels      map[string]string
	taints      []corev1.Taint
}

func (c *cluster) addNode(name string, spec nodeSpec) {
	c.t.Helper()
	if spec.cpu == "" {
		spec.cpu = "4"
	}
	if spec.memory == "" {
		spec.memory = "16Gi"
	}
	if spec.pods == 0 {
		spec.pods = 110
	}
	labels := map[string]string{corev1.LabelHostname: name}
	for k, v := range spec.labels {
		labels[k] = v
	}
	rl := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse(spec.cpu), corev1.ResourceMemory: resource.MustParse(spec.memory),
		corev1.ResourcePods: *resource.NewQuantity(int64(spec.pods), resource.DecimalSI),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       corev1.NodeSpec{Taints: spec.taints},
	}
	created, err := c.client.CoreV1().Nodes().Create(c.ctx, node, metav1.CreateOptions{})
	if err != nil {
		c.t.Fatal(err)
	}
	created.Status = corev1.NodeStatus{Capacity: rl, Allocatable: rl, Conditions: []corev1.NodeCondition{
		{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", LastHeartbeatTime: metav1.Now()},
	}}
	if _, err := c.client.CoreV1().Nodes().UpdateStatus(c.ctx, created, metav1.UpdateOptions{}); err != nil {
		c.t.Fatal(err)
	}
}

// pod returns a pod requesting cpu ("" for none) in namespace default.
func pod(name, cpu string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "test"}},
		Spec: corev1.PodSpec{
			Containers:                    []corev1.Container{{Name: "c", Image: "busybox"}},
			TerminationGracePeriodSeconds: new(int64),
		},
	}
	if cpu != "" {
		p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}
	}
	return p
}

func (c *cluster) create(p *corev1.Pod) {
	c.t.Helper()
	if _, err := c.client.CoreV1().Pods(p.Namespace).Create(c.ctx, p, metav1.CreateOptions{}); err != nil {
		c.t.Fatal(err)
	}
}

// poll waits up to 30s for cond.
func (c *cluster) poll(what string, cond func() (bool, error)) {
	c.t.Helper()
	controllertest.Eventually(c.t, what, func(context.Context) (bool, error) { return cond() })
}

// waitBound waits until the pods are bound and returns their nodes.
func (c *cluster) waitBound(names ...string) map[string]string {
	c.t.Helper()
	nodes := map[string]string{}
	for _, name := range names {
		c.poll("pod "+name+" to be bound", func() (bool, error) {
			p, err := c.client.CoreV1().Pods("default").Get(c.ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			nodes[name] = p.Spec.NodeName
			return p.Spec.NodeName != "", nil
		})
	}
	return nodes
}

// waitUnschedulable waits for the pod's FailedScheduling event with a
// message starting with prefix and for PodScheduled=False/Unschedulable.
func (c *cluster) waitUnschedulable(name, prefix string) {
	c.t.Helper()
	var last string
	c.poll("FailedScheduling event for "+name, func() (bool, error) {
		evs, err := c.client.CoreV1().Events("default").List(c.ctx, metav1.ListOptions{
			FieldSelector: fields.Set{"involvedObject.name": name, "reason": "FailedScheduling"}.String()})
		if err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			last = e.Message
			if strings.HasPrefix(e.Message, prefix) {
				return true, nil
			}
		}
		return false, nil
	})
	c.poll("PodScheduled=False on "+name, func() (bool, error) {
		p, err := c.client.CoreV1().Pods("default").Get(c.ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if p.Spec.NodeName != "" {
			return false, fmt.Errorf("pod %s was bound to %s", name, p.Spec.NodeName)
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse && cond.Reason == corev1.PodReasonUnschedulable {
				return strings.HasPrefix(cond.Message, prefix), nil
			}
		}
		return false, nil
	})
	c.t.Logf("%s: %s", name, last)
}

func TestSpreadsOverNodes(t *testing.T) {
	c := startCluster(t)
	for _, n := range []string{"n1", "n2", "n3"} {
		c.addNode(n, nodeSpec{})
	}
	var names []string
	for i := range 6 {
		names = append(names, fmt.Sprintf("p%d", i))
		c.create(pod(names[i], "500m"))
	}
	perNode := map[string]int{}
	for _, n := range c.waitBound(names...) {
		perNode[n]++
	}
	if len(perNode) != 3 || perNode["n1"] != 2 || perNode["n2"] != 2 || perNode["n3"] != 2 {
		t.Fatalf("pods per node = %v, want 2 on each of n1, n2, n3", perNode)
	}
}

func TestNodeSelectorAndTaints(t *testing.T) {
	c := startCluster(t)
	c.addNode("plain", nodeSpec{})
	c.addNode("ssd", nodeSpec{labels: map[string]string{"disk": "ssd"}})
	c.addNode("gpu", nodeSpec{taints: []corev1.Taint{{Key: "gpu", Value: "true", Effect: corev1.TaintEffectNoSchedule}}})

	sel := pod("wants-ssd", "")
	sel.Spec.NodeSelector = map[string]string{"disk": "ssd"}
	c.create(sel)
	var names []string
	for i := range 6 {
		names = append(names, fmt.Sprintf("any%d", i))
		c.create(pod(names[i], "100m"))
	}
	tol := pod("tolerates", "")
	tol.Spec.NodeSelector = map[string]string{corev1.LabelHostname: "gpu"}
	tol.Spec.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists}}
	c.create(tol)
	none := pod("nowhere", "")
	none.Spec.NodeSelector = map[string]string{"disk": "nvme"}
	c.create(none)

	if n := c.waitBound("wants-ssd")["wants-ssd"]; n != "ssd" {
		t.Errorf("wants-ssd on %s, want ssd", n)
	}
	for name, n := range c.waitBound(names...) {
		if n == "gpu" {
			t.Errorf("%s landed on the tainted node", name)
		}
	}
	if n := c.waitBound("tolerates")["tolerates"]; n != "gpu" {
		t.Errorf("tolerates on %s, want gpu", n)
	}
	c.waitUnschedulable("nowhere", "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
}

func TestInsufficientCPU(t *testing.T) {
	c := startCluster(t)
	for _, n := range []string{"n1", "n2", "n3"} {
		c.addNode(n, nodeSpec{})
	}
	c.create(pod("huge", "64"))
	c.waitUnschedulable("huge", "0/3 nodes are available: 3 Insufficient cpu.")
}
