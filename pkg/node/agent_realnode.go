package node

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/pkg/node/eviction"
)

// A real node (Config.Real): one node, on a runtime that runs processes.
// This file holds what differs from a simulated node on the node side:
// its identity and status from the machine, its Ready condition from
// the runtime, and noticing container exits by polling.

// newRealNode builds the agent's one real node.
func newRealNode(cfg Config) (*nodeState, error) {
	r := cfg.Real
	ip := r.IP
	if !ip.IsValid() {
		var err error
		if ip, err = hostIP(); err != nil {
			return nil, err
		}
	}
	m, err := readMachine(r.DataDir, cfg.MaxPods, r.SystemReserved)
	if err != nil {
		return nil, err
	}
	fallback, err := nthSubnet(cfg.FallbackPodCIDRs, cfg.FallbackPodCIDRMask, 0)
	if err != nil {
		return nil, fmt.Errorf("node %s: fallback pod CIDR: %w", r.Name, err)
	}
	port := r.KubeletPort
	if port == 0 {
		port = 10250
	}
	thresholds := r.EvictionHard
	if thresholds == nil {
		if thresholds, err = eviction.Hard(""); err != nil {
			return nil, err
		}
	}
	period := r.EvictionPressureTransitionPeriod
	if period == 0 {
		period = eviction.DefaultTransitionPeriod
	}
	return &nodeState{name: r.Name, ip: ip, fallbackCIDR: fallback, runtime: cfg.NewRuntime(r.Name),
		machine: m, kubeletPort: port, pressure: eviction.NewTracker(thresholds, period)}, nil
}

// observePressure reads the eviction signals from the machine and
// updates the node's pressure conditions (pkg/node/eviction); the node
// sync reports them when they change.
func (a *Agent) observePressure(ns *nodeState, now time.Time) {
	obs, err := eviction.Observe(eviction.Sources{NodeFs: a.cfg.Real.DataDir, ImageFs: a.cfg.Real.ImageFsDir})
	if err != nil {
		a.log.Debug("node: observing eviction signals", "node", ns.name, "err", err)
	}
	conds := ns.pressure.Observe(obs, now)
	for i, c := range conds {
		first := i >= len(ns.pressureConds)
		if !first && ns.pressureConds[i].Status != c.Status {
			a.log.Info("node: pressure condition changed", "node", ns.name, "condition", c.Type, "status", c.Status, "thresholdsMet", fmt.Sprint(ns.pressure.Met()))
		}
		if (first || ns.pressureConds[i].Status != c.Status) && ns.recorder != nil {
			// As the kubelet: on the Node, its UID the node's name.
			ref := &corev1.ObjectReference{Kind: "Node", Name: ns.name, UID: types.UID(ns.name)}
			ns.recorder.Eventf(ref, corev1.EventTypeNormal, c.EventReason(), "Node %s status is now: %s", ns.name, c.EventReason())
		}
	}
	ns.pressureConds = conds
}

// runtimeNotReady asks the runtime for its conditions (CRI Status):
// "" when it and its network are ready, else why not.
func runtimeNotReady(ctx context.Context, rt Runtime) string {
	sr, ok := rt.(StatusReporter)
	if !ok {
		return ""
	}
	resp, err := sr.Status(ctx, false)
	if err != nil {
		return fmt.Sprintf("container runtime status check may not have completed yet: %v", err)
	}
	var why []string
	for _, c := range resp.GetStatus().GetConditions() {
		if (c.Type == runtimeapi.RuntimeReady || c.Type == runtimeapi.NetworkReady) && !c.Status {
			why = append(why, fmt.Sprintf("%s=false reason:%s message:%s", c.Type, c.Reason, c.Message))
		}
	}
	if len(why) > 0 {
		return "container runtime is down or not ready: " + strings.Join(why, ", ")
	}
	return ""
}

// realNodeStatus is the status of a real node: the machine's capacity
// and identity, Ready from the runtime.
func (a *Agent) realNodeStatus(ns *nodeState, current *corev1.Node,
	cond func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition) corev1.NodeStatus {
	ready := cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status")
	if ns.runtimeNotReady != "" {
		ready = cond(corev1.NodeReady, corev1.ConditionFalse, "KubeletNotReady", ns.runtimeNotReady)
	}
	var conds []corev1.NodeCondition
	for _, c := range ns.pressureConds {
		conds = append(conds, cond(c.Type, c.Status, c.Reason, c.Message))
	}
	info := ns.machine.info
	info.ContainerRuntimeVersion = ns.runtimeName
	images := ns.imageList
	if images == nil {
		images = current.Status.Images
	}
	if info.MachineID == "" {
		info.MachineID = ns.name
	}
	if info.SystemUUID == "" {
		info.SystemUUID = info.MachineID
	}
	return corev1.NodeStatus{
		Capacity:    withOthers(ns.machine.capacity, current.Status.Capacity),
		Allocatable: withOthers(ns.machine.allocatable, current.Status.Allocatable),
		Conditions:  append(conds, ready),
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: ns.ip.String()},
			{Type: corev1.NodeHostName, Address: ns.name},
		},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: ns.kubeletPort}},
		NodeInfo:        info,
		Images:          images, VolumesInUse: current.Status.VolumesInUse, VolumesAttached: current.Status.VolumesAttached,
	}
}

// pollContainers stands in for container events when the runtime has
// none (containerd 1.6): every PollInterval it lists the node's
// containers and syncs each pod one of whose containers changed state
// (started, exited, vanished).
func (a *Agent) pollContainers(ctx context.Context, ns *nodeState) {
	seen := map[string]runtimeapi.ContainerState{}
	seenSandboxes := map[string]runtimeapi.PodSandboxState{}
	tick := time.NewTicker(a.cfg.Real.PollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		list, err := ns.runtime.ListContainers(ctx, nil)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Debug("node: listing containers", "node", ns.name, "err", err)
			}
			continue
		}
		now := make(map[string]runtimeapi.ContainerState, len(list))
		for _, c := range list {
			now[c.Id] = c.State
			if old, ok := seen[c.Id]; !ok || old != c.State {
				a.enqueueContainerPod(c.Labels)
			}
		}
		seen = now
		// Sandboxes too: one whose pause process died is no longer
		// ready, and its pod gets a new one (checkSandbox).
		if lister, ok := ns.runtime.(sandboxLister); ok {
			sandboxes, err := lister.ListPodSandbox(ctx, nil)
			if err != nil {
				continue
			}
			nowSB := make(map[string]runtimeapi.PodSandboxState, len(sandboxes))
			for _, s := range sandboxes {
				nowSB[s.Id] = s.State
				if old, ok := seenSandboxes[s.Id]; ok && old != s.State {
					a.enqueueContainerPod(s.Labels)
				}
			}
			seenSandboxes = nowSB
		}
	}
}

// enqueueContainerPod syncs the pod a container belongs to, found by the
// labels the agent gives every container.
func (a *Agent) enqueueContainerPod(labels map[string]string) {
	ns, name := labels[labelPodNamespace], labels[labelPodName]
	if ns != "" && name != "" {
		a.podQueue.Add(cache.ObjectName{Namespace: ns, Name: name})
	}
}

// The labels the agent puts on sandboxes and containers, as the kubelet
// does (k8s.io/kubelet/pkg/types).
const (
	labelPodName       = "io.kubernetes.pod.name"
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelPodUID        = "io.kubernetes.pod.uid"
	labelContainerName = "io.kubernetes.container.name"
)
