package node

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Admission, as a kubelet does before it starts a pod: a pod that cannot
// run on its node ends Failed with a reason instead of starting. Pods
// bound by the scheduler pass (it checked the same thing); this catches
// pods created with spec.nodeName set. Only host ports are checked — a
// simulated node has no real resources to run out of.

// reasonNodePorts is the kubelet's rejection reason for a host port that
// another pod on the node already uses (the scheduler's NodePorts filter).
const reasonNodePorts = "NodePorts"

// hostPort is one (protocol, hostIP, port) a container asks for.
type hostPort struct {
	protocol corev1.Protocol
	ip       string
	port     int32
}

func hostPorts(pod *corev1.Pod) []hostPort {
	var out []hostPort
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			for _, p := range c.Ports {
				if p.HostPort <= 0 {
					continue
				}
				hp := hostPort{protocol: p.Protocol, ip: p.HostIP, port: p.HostPort}
				if hp.protocol == "" {
					hp.protocol = corev1.ProtocolTCP
				}
				if hp.ip == "" {
					hp.ip = "0.0.0.0"
				}
				out = append(out, hp)
			}
		}
	}
	return out
}

// conflicts reports whether two host ports cannot both be bound: same
// protocol and port, and the same address or either one the wildcard.
func (h hostPort) conflicts(o hostPort) bool {
	return h.protocol == o.protocol && h.port == o.port && (h.ip == o.ip || h.ip == "0.0.0.0" || o.ip == "0.0.0.0")
}

// admit returns a rejection reason and message if pod must not start on
// ns because of the pods already running there (those with a record).
// Two conflicting pods admitted at the same instant by two workers can
// both pass; the scheduler is the real guard.
func (a *Agent) admit(ns *nodeState, pod *corev1.Pod) (reason, message string) {
	want := hostPorts(pod)
	if len(want) == 0 {
		return "", ""
	}
	pods, err := a.pods.List(everything)
	if err != nil {
		return "", ""
	}
	for _, other := range pods {
		if other.Spec.NodeName != ns.name || other.UID == pod.UID {
			continue
		}
		if rec := a.record(cacheKey(other)); rec == nil || rec.uid != other.UID {
			continue // not running here
		}
		for _, o := range hostPorts(other) {
			for _, w := range want {
				if w.conflicts(o) {
					return reasonNodePorts, "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports"
				}
			}
		}
	}
	return "", ""
}

// reject ends pod Failed without starting it, as the kubelet's rejectPod.
func (a *Agent) reject(ctx context.Context, pod *corev1.Pod, reason, message string) error {
	p := pod.DeepCopy()
	p.Status = corev1.PodStatus{Phase: corev1.PodFailed, Reason: reason, Message: "Pod was rejected: " + message,
		QOSClass: pod.Status.QOSClass, Conditions: pod.Status.Conditions}
	if _, err := a.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("rejecting pod: %w", err)
	}
	return nil
}
