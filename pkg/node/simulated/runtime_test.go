package simulated

import (
	"context"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/pkg/node"
)

// TestExitAfter: a container with exit-after exits with exit-code when
// the (fake) clock passes that delay, and subscribers hear of it; one
// without runs on; IPs come from the pod CIDR and are reused once freed.
func TestExitAfter(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	h := NewHost(clk)
	go h.Run(ctx)
	rt := h.NewRuntime()
	events := make(chan *runtimeapi.ContainerEventResponse, 4)
	go func() { _ = rt.GetContainerEvents(ctx, events, nil) }()
	if err := rt.UpdateRuntimeConfig(ctx, &runtimeapi.RuntimeConfig{NetworkConfig: &runtimeapi.NetworkConfig{PodCidr: "10.1.2.0/24"}}); err != nil {
		t.Fatal(err)
	}
	sbCfg := &runtimeapi.PodSandboxConfig{
		Metadata:    &runtimeapi.PodSandboxMetadata{Name: "p", Namespace: "ns"},
		Annotations: map[string]string{node.AnnotationExitAfter: "5s", node.AnnotationExitCode: "3"},
	}
	sb, err := rt.RunPodSandbox(ctx, sbCfg, "")
	if err != nil {
		t.Fatal(err)
	}
	st, _ := rt.PodSandboxStatus(ctx, sb, false)
	if ip := st.Status.Network.Ip; ip != "10.1.2.2" {
		t.Fatalf("sandbox IP %s", ip)
	}
	start := func(cfg *runtimeapi.ContainerConfig) string {
		id, err := rt.CreateContainer(ctx, sb, cfg, sbCfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := rt.StartContainer(ctx, id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	exiting := start(&runtimeapi.ContainerConfig{Metadata: &runtimeapi.ContainerMetadata{Name: "a"}})
	forever := start(&runtimeapi.ContainerConfig{Metadata: &runtimeapi.ContainerMetadata{Name: "b"},
		Annotations: map[string]string{node.AnnotationExitAfter: "1h"}})
	instant := start(&runtimeapi.ContainerConfig{Metadata: &runtimeapi.ContainerMetadata{Name: "c"},
		Annotations: map[string]string{node.AnnotationExitAfter: "0s"}})

	state := func(id string) *runtimeapi.ContainerStatus {
		r, err := rt.ContainerStatus(ctx, id, false)
		if err != nil {
			t.Fatal(err)
		}
		return r.Status
	}
	if s := state(instant); s.State != runtimeapi.ContainerState_CONTAINER_EXITED || s.ExitCode != 0 {
		t.Fatalf("exit-after 0s: %v", s)
	}
	controllertest.EventuallyWithin(t, "the event subscriber to register", 10*time.Second, func(context.Context) (bool, error) {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		return len(rt.subs) == 1, nil
	})
	controllertest.EventuallyWithin(t, "the exit-after timer to wait on the clock", 10*time.Second, func(context.Context) (bool, error) {
		return clk.HasWaiters(), nil
	})
	clk.Step(5 * time.Second)
	select {
	case ev := <-events:
		if ev.ContainerId != exiting || ev.PodSandboxStatus.Metadata.Name != "p" {
			t.Fatalf("event %v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit event")
	}
	if s := state(exiting); s.State != runtimeapi.ContainerState_CONTAINER_EXITED || s.ExitCode != 3 || s.Reason != "Error" {
		t.Fatalf("exited container: %v", s)
	}
	if s := state(forever); s.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		t.Fatalf("container without due exit: %v", s)
	}
	if err := rt.RemovePodSandbox(ctx, sb); err != nil {
		t.Fatal(err)
	}
	sb2, _ := rt.RunPodSandbox(ctx, sbCfg, "")
	if st, _ := rt.PodSandboxStatus(ctx, sb2, false); st.Status.Network.Ip != "10.1.2.2" {
		t.Fatalf("freed IP not reused: %s", st.Status.Network.Ip)
	}
}
