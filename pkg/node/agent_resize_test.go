package node_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/node"
)

func resizeCondition(p *corev1.Pod) *corev1.PodCondition {
	for i, c := range p.Status.Conditions {
		if c.Type == corev1.PodResizePending || c.Type == corev1.PodResizeInProgress {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// TestSimulatedResize: a simulated node admits an in-place resize that
// fits, reports it in allocatedResources, resources and
// observedGeneration without restarting the container (NotRequired),
// restarts a container whose policy says RestartContainer, and marks a
// resize larger than the node PodResizePending/Infeasible.
func TestSimulatedResize(t *testing.T) {
	s := testserver.Start(t, "")
	startControllers(t, s, "nodeipam")
	startAgent(t, s, "rsz-", 0, 1, func(c *node.Config) { c.CPU, c.Memory = resource.MustParse("4"), resource.MustParse("8Gi") })
	ctx := context.Background()
	pods := s.Client.CoreV1().Pods("default")
	req := func(cpu, mem string) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}}
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "r"}, Spec: corev1.PodSpec{NodeName: "rsz-0",
		Containers: []corev1.Container{
			{Name: "a", Image: "busybox", Resources: req("100m", "100Mi")},
			{Name: "b", Image: "busybox", Resources: req("100m", "100Mi"),
				ResizePolicy: []corev1.ContainerResizePolicy{{ResourceName: corev1.ResourceMemory, RestartPolicy: corev1.RestartContainer}}},
		}}}
	if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitResized := func(what string, gen int64, check func(p *corev1.Pod) bool) *corev1.Pod {
		t.Helper()
		var got *corev1.Pod
		controllertest.EventuallyWithin(t, what, 30*time.Second, func(ctx context.Context) (bool, error) {
			p, err := pods.Get(ctx, "r", metav1.GetOptions{})
			if err != nil || p.Generation != gen || p.Status.ObservedGeneration != gen || podCondition(p, corev1.PodReady) != corev1.ConditionTrue {
				return false, nil
			}
			got = p
			return check(p), nil
		})
		return got
	}
	p := waitResized("pod ready", 1, func(p *corev1.Pod) bool { return true })
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Resources == nil || cs.AllocatedResources.Cpu().String() != "100m" {
			t.Fatalf("container %s: resources %v allocated %v", cs.Name, cs.Resources, cs.AllocatedResources)
		}
	}

	patch := `{"spec":{"containers":[{"name":"a","resources":{"requests":{"cpu":"200m"},"limits":{"cpu":"300m"}}},{"name":"b","resources":{"requests":{"memory":"200Mi"}}}]}}`
	if _, err := pods.Patch(ctx, "r", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}, "resize"); err != nil {
		t.Fatal(err)
	}
	p = waitResized("resize actuated", 2, func(p *corev1.Pod) bool {
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Resources == nil || cs.State.Running == nil {
				return false
			}
			switch cs.Name {
			case "a":
				if cs.Resources.Limits.Cpu().String() != "300m" || cs.AllocatedResources.Cpu().String() != "200m" {
					return false
				}
			case "b":
				if cs.Resources.Requests.Memory().String() != "200Mi" {
					return false
				}
			}
		}
		return resizeCondition(p) == nil
	})
	for _, cs := range p.Status.ContainerStatuses {
		want := int32(0)
		if cs.Name == "b" {
			want = 1 // memory changed, RestartContainer
		}
		if cs.RestartCount != want {
			t.Errorf("container %s restartCount %d, want %d", cs.Name, cs.RestartCount, want)
		}
	}

	patch = `{"spec":{"containers":[{"name":"a","resources":{"requests":{"cpu":"5"},"limits":{"cpu":"5"}}}]}}`
	if _, err := pods.Patch(ctx, "r", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}, "resize"); err != nil {
		t.Fatal(err)
	}
	controllertest.EventuallyWithin(t, "infeasible resize pending", 30*time.Second, func(ctx context.Context) (bool, error) {
		p, err := pods.Get(ctx, "r", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		c := resizeCondition(p)
		return c != nil && c.Type == corev1.PodResizePending && c.Reason == corev1.PodReasonInfeasible && c.ObservedGeneration == 3, nil
	})
	p, _ = pods.Get(ctx, "r", metav1.GetOptions{})
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == "a" && cs.AllocatedResources.Cpu().String() != "200m" {
			t.Errorf("infeasible resize allocated %v", cs.AllocatedResources)
		}
	}
}
