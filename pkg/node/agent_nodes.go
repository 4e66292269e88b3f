package node

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/pkg/node/eviction"
	"github.com/tinykube/tinykube/pkg/node/images"
	"github.com/tinykube/tinykube/pkg/node/prober"
	"github.com/tinykube/tinykube/pkg/node/volumes"
)

// KubeletVersion is what simulated nodes report as status.nodeInfo.kubeletVersion.
const KubeletVersion = "v1.37.0-tinykube"

// nodeState is the agent's memory of one node. Fields below mu are
// written by node syncs and read by pod syncs.
type nodeState struct {
	name         string
	ip           netip.Addr
	fallbackCIDR netip.Prefix
	runtime      Runtime
	// machine is set for a real node (Config.Real): what it reports
	// about the machine.
	machine     *machine
	kubeletPort int32
	// recorder and probes are set on real nodes only (agent_probes.go).
	recorder record.EventRecorder
	probes   *prober.Manager
	// simRecorder records a simulated node's failure events
	// (simchecks.go), made on first use.
	simRecorderOnce sync.Once
	simRecorder     record.EventRecorder
	// volumes sets up a real node's pod volumes (agent_volumes.go).
	volumes *volumes.Manager

	// Only the node's sync touches these (the queue never syncs one
	// name twice at once).
	uid          string
	lease        *coordinationv1.Lease
	nextRenew    time.Time
	lastReport   time.Time
	registeredAt time.Time
	runtimeName  string
	// runtimeNotReady explains why a real node's runtime is not ready
	// ("" when it is), from its CRI Status.
	runtimeNotReady string
	// pressure tracks a real node's eviction signals; pressureConds is
	// its MemoryPressure, DiskPressure and PIDPressure from the last
	// observation (agent_realnode.go).
	pressure      *eviction.Tracker
	pressureConds []eviction.Condition
	// imageList is a real node's status.images, listed at each sync
	// (nil until the runtime first answered).
	imageList []corev1.ContainerImage

	// imageManager pulls a real node's images (agent_realpod.go); made
	// on first use.
	imageManagerOnce sync.Once
	imageManager     *images.Manager

	mu sync.Mutex
	// podCIDRs is what the runtime was last configured with ("" = none
	// yet); usingFallback when it is the agent's own range.
	podCIDRs      string
	usingFallback bool
}

// syncNode registers the node if needed, keeps the runtime's podCIDR in
// step with the Node, reports status when due or changed, and renews the
// Lease when due. It returns the delay until the next renewal or report.
func (a *Agent) syncNode(ctx context.Context, name string) (time.Duration, error) {
	ns := a.nodes[name]
	now := a.cfg.Clock.Now()
	if ns.runtimeName == "" {
		v, err := ns.runtime.Version(ctx, "v1")
		if err != nil {
			return 0, fmt.Errorf("runtime version: %w", err)
		}
		ns.runtimeName = v.RuntimeName + "://" + v.RuntimeVersion
	}
	if ns.machine != nil {
		ns.runtimeNotReady = runtimeNotReady(ctx, ns.runtime)
		a.observePressure(ns, now)
		if svc, ok := ns.runtime.(images.Service); ok {
			list, err := images.NodeImages(ctx, svc, 0)
			if err != nil {
				a.log.Debug("node: listing images", "node", name, "err", err)
			} else {
				ns.imageList = list
			}
		}
	}
	node, err := a.nodeLister.Get(name)
	if apierrors.IsNotFound(err) && ns.uid != "" {
		// Registered but not in the cache yet (or deleted by someone:
		// the kubelet does not re-register either).
		return a.cfg.LeaseRenewInterval, nil
	}
	if apierrors.IsNotFound(err) {
		if node, err = a.register(ctx, ns); err != nil {
			return 0, err
		}
		ns.registeredAt = now
	} else if err != nil {
		return 0, err
	}
	ns.uid = string(node.UID)
	if ns.registeredAt.IsZero() {
		ns.registeredAt = now
	}
	if err := a.configurePodCIDR(ctx, ns, node, now); err != nil {
		return 0, err
	}
	if now.Sub(ns.lastReport) >= a.cfg.StatusReportInterval || !statusCurrent(node, a.nodeStatus(ns, node, now)) {
		if err := a.reportStatus(ctx, ns, node, now); err != nil {
			return 0, err
		}
	}
	if !now.Before(ns.nextRenew) {
		if err := a.renewLease(ctx, ns, node, now); err != nil {
			return 0, err
		}
	}
	next := ns.nextRenew
	if r := ns.lastReport.Add(a.cfg.StatusReportInterval); r.Before(next) {
		next = r
	}
	if ns.podCIDRs == "" || ns.usingFallback || ns.runtimeNotReady != "" {
		// Look again soon for a podCIDR from node IPAM, or for the
		// runtime to be ready (its network once the CNI config is in).
		if w := now.Add(time.Second); w.Before(next) {
			next = w
		}
	}
	return max(next.Sub(now), time.Millisecond), nil
}

// register creates the Node (or adopts an existing one of that name).
func (a *Agent) register(ctx context.Context, ns *nodeState) (*corev1.Node, error) {
	labels := map[string]string{
		corev1.LabelHostname: ns.name, corev1.LabelOSStable: runtime.GOOS, corev1.LabelArchStable: runtime.GOARCH,
	}
	if ns.machine == nil {
		labels[corev1.LabelInstanceTypeStable], labels["node.tinykube.io/simulated"] = "tinykube-sim", "true"
	}
	for k, v := range a.cfg.Labels {
		labels[k] = v
	}
	want := &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		Name: ns.name, Labels: labels,
		Annotations: map[string]string{"node.alpha.kubernetes.io/ttl": "0"},
	}}
	node, err := a.client.CoreV1().Nodes().Create(ctx, want, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		node, err = a.client.CoreV1().Nodes().Get(ctx, ns.name, metav1.GetOptions{})
	}
	if err != nil {
		return nil, fmt.Errorf("registering node %s: %w", ns.name, err)
	}
	return node, nil
}

// configurePodCIDR hands the runtime the node's spec.podCIDRs, or the
// fallback range once node IPAM has had PodCIDRWait to assign one.
func (a *Agent) configurePodCIDR(ctx context.Context, ns *nodeState, node *corev1.Node, now time.Time) error {
	want, fallback := strings.Join(node.Spec.PodCIDRs, ","), false
	if want == "" {
		want = node.Spec.PodCIDR
	}
	if want == "" {
		if now.Sub(ns.registeredAt) < a.cfg.PodCIDRWait {
			return nil
		}
		want, fallback = ns.fallbackCIDR.String(), true
	}
	ns.mu.Lock()
	same := ns.podCIDRs == want
	ns.mu.Unlock()
	if same {
		return nil
	}
	if err := ns.runtime.UpdateRuntimeConfig(ctx, &runtimeapi.RuntimeConfig{NetworkConfig: &runtimeapi.NetworkConfig{PodCidr: want}}); err != nil {
		return fmt.Errorf("runtime pod CIDR: %w", err)
	}
	ns.mu.Lock()
	first := ns.podCIDRs == ""
	ns.podCIDRs, ns.usingFallback = want, fallback
	ns.mu.Unlock()
	if first {
		// Pods that waited for a podCIDR can start now.
		a.enqueuePodsOn(ns.name)
	}
	return nil
}

// podCIDRReady reports whether the node's runtime can give pods IPs.
func (ns *nodeState) podCIDRReady() bool {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.podCIDRs != ""
}

func (a *Agent) enqueuePodsOn(node string) {
	pods, err := a.pods.List(everything)
	if err != nil {
		return
	}
	for _, p := range pods {
		if p.Spec.NodeName == node {
			a.podQueue.Add(cacheKey(p))
		}
	}
}

// nodeStatus is the status the agent reports for ns, keeping transition
// times from current.
func (a *Agent) nodeStatus(ns *nodeState, current *corev1.Node, now time.Time) corev1.NodeStatus {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU: a.cfg.CPU, corev1.ResourceMemory: a.cfg.Memory,
		corev1.ResourceEphemeralStorage: a.cfg.EphemeralStorage,
		corev1.ResourcePods:             *resource.NewQuantity(a.cfg.MaxPods, resource.DecimalSI),
	}
	hb := metav1.NewTime(now.Truncate(time.Second))
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		c := corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg, LastHeartbeatTime: hb, LastTransitionTime: hb}
		for _, old := range current.Status.Conditions {
			if old.Type == t && old.Status == s {
				c.LastTransitionTime = old.LastTransitionTime
			}
		}
		return c
	}
	if ns.machine != nil {
		return a.realNodeStatus(ns, current, cond)
	}
	return corev1.NodeStatus{
		Capacity: withOthers(capacity, current.Status.Capacity), Allocatable: withOthers(capacity, current.Status.Allocatable),
		Conditions: []corev1.NodeCondition{
			cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
			cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
			cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
			cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status"),
		},
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: ns.ip.String()},
			{Type: corev1.NodeHostName, Address: ns.name},
		},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}},
		NodeInfo: corev1.NodeSystemInfo{
			MachineID: ns.name, SystemUUID: ns.name, BootID: ns.uid,
			KernelVersion: "6.8.0-tinykube", OSImage: "tinykube simulated node",
			ContainerRuntimeVersion: ns.runtimeName, KubeletVersion: KubeletVersion,
			OperatingSystem: runtime.GOOS, Architecture: runtime.GOARCH,
		},
		Images: current.Status.Images, VolumesInUse: current.Status.VolumesInUse, VolumesAttached: current.Status.VolumesAttached,
	}
}

// withOthers is own plus the resources in current that the agent does not
// report itself — extended resources patched in by others (device plugins
// upstream; e2e's AddExtendedResource) — which a kubelet keeps.
func withOthers(own, current corev1.ResourceList) corev1.ResourceList {
	out := own.DeepCopy()
	for k, v := range current {
		if _, ok := own[k]; !ok {
			out[k] = v.DeepCopy()
		}
	}
	return out
}

// statusCurrent reports whether node's stored status already says what
// want says, heartbeat times aside.
func statusCurrent(node *corev1.Node, want corev1.NodeStatus) bool {
	have := node.Status
	if len(have.Addresses) != len(want.Addresses) || have.NodeInfo != want.NodeInfo ||
		!apiequality.Semantic.DeepEqual(have.Images, want.Images) {
		return false
	}
	for _, c := range want.Conditions {
		found := false
		for _, h := range have.Conditions {
			if h.Type == c.Type {
				found = h.Status == c.Status && h.Reason == c.Reason
				break
			}
		}
		if !found {
			return false
		}
	}
	for i := range want.Addresses {
		if have.Addresses[i] != want.Addresses[i] {
			return false
		}
	}
	for _, rl := range [][2]corev1.ResourceList{{have.Capacity, want.Capacity}, {have.Allocatable, want.Allocatable}} {
		for k, v := range rl[1] {
			if hv, ok := rl[0][k]; !ok || hv.Cmp(v) != 0 {
				return false
			}
		}
	}
	return true
}

func (a *Agent) reportStatus(ctx context.Context, ns *nodeState, node *corev1.Node, now time.Time) error {
	n := node.DeepCopy()
	n.Status = a.nodeStatus(ns, node, now)
	for _, c := range node.Status.Conditions { // keep conditions others report
		switch c.Type {
		case corev1.NodeReady, corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure:
		default:
			n.Status.Conditions = append(n.Status.Conditions, c)
		}
	}
	_, err := a.client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("node %s status: %w", ns.name, err)
	}
	ns.lastReport = now
	return nil
}

// renewLease creates or renews the node's Lease, owned by the Node so
// that deleting the Node deletes it.
func (a *Agent) renewLease(ctx context.Context, ns *nodeState, node *corev1.Node, now time.Time) error {
	leases := a.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	renew := metav1.NewMicroTime(now)
	if ns.lease == nil {
		l, err := leases.Get(ctx, ns.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			l = &coordinationv1.Lease{
				ObjectMeta: metav1.ObjectMeta{Name: ns.name, Namespace: corev1.NamespaceNodeLease,
					OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}}},
				Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(ns.name),
					LeaseDurationSeconds: ptr.To(int32(a.cfg.LeaseDuration / time.Second)), RenewTime: &renew},
			}
			if l, err = leases.Create(ctx, l, metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("creating lease %s: %w", ns.name, err)
			}
			ns.lease, ns.nextRenew = l, now.Add(a.cfg.LeaseRenewInterval)
			return nil
		}
		if err != nil {
			return fmt.Errorf("lease %s: %w", ns.name, err)
		}
		ns.lease = l
	}
	l := ns.lease.DeepCopy()
	l.Spec.HolderIdentity = ptr.To(ns.name)
	l.Spec.LeaseDurationSeconds = ptr.To(int32(a.cfg.LeaseDuration / time.Second))
	l.Spec.RenewTime = &renew
	updated, err := leases.Update(ctx, l, metav1.UpdateOptions{})
	if err != nil {
		ns.lease = nil // fetch afresh next time
		return fmt.Errorf("renewing lease %s: %w", ns.name, err)
	}
	ns.lease, ns.nextRenew = updated, now.Add(a.cfg.LeaseRenewInterval)
	return nil
}
