package framework

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// PodInfo is a pod with what the scheduler derives from it once.
type PodInfo struct {
	Pod      *corev1.Pod
	Requests Resource
	// NonZero is Requests with the scoring defaults for CPU/memory.
	NonZero Resource
	// Required/preferred (anti-)affinity terms, parsed.
	RequiredAffinity      []AffinityTerm
	RequiredAntiAffinity  []AffinityTerm
	PreferredAffinity     []WeightedAffinityTerm
	PreferredAntiAffinity []WeightedAffinityTerm
}

// NewPodInfo parses pod. Terms with invalid selectors are dropped (the
// API server validates them).
func NewPodInfo(pod *corev1.Pod) *PodInfo {
	req := PodRequests(pod)
	pi := &PodInfo{Pod: pod, Requests: req, NonZero: req.NonZero()}
	if a := pod.Spec.Affinity; a != nil {
		if a.PodAffinity != nil {
			pi.RequiredAffinity = parseTerms(pod, a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution)
			pi.PreferredAffinity = parseWeighted(pod, a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution)
		}
		if a.PodAntiAffinity != nil {
			pi.RequiredAntiAffinity = parseTerms(pod, a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution)
			pi.PreferredAntiAffinity = parseWeighted(pod, a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution)
		}
	}
	return pi
}

// HasAffinity reports whether the pod has any pod (anti-)affinity term.
func (p *PodInfo) HasAffinity() bool {
	return len(p.RequiredAffinity)+len(p.RequiredAntiAffinity)+len(p.PreferredAffinity)+len(p.PreferredAntiAffinity) > 0
}

// ProtocolPort is a host port in use on a node.
type ProtocolPort struct {
	Protocol corev1.Protocol
	Port     int32
}

// HostPorts are the host ports in use on a node: port → IPs bound
// ("0.0.0.0" for all).
type HostPorts map[ProtocolPort]map[string]int

// Conflicts reports whether binding ip:port/proto would clash.
func (h HostPorts) Conflicts(ip string, pp ProtocolPort) bool {
	ips := h[pp]
	if len(ips) == 0 {
		return false
	}
	if ip == "0.0.0.0" {
		return true
	}
	return ips[ip] > 0 || ips["0.0.0.0"] > 0
}

// PodHostPorts lists the host ports a pod asks for, with IP "" made
// "0.0.0.0" and protocol "" made TCP.
func PodHostPorts(pod *corev1.Pod) []corev1.ContainerPort {
	var out []corev1.ContainerPort
	add := func(cs []corev1.Container) {
		for _, c := range cs {
			for _, p := range c.Ports {
				if p.HostPort <= 0 {
					continue
				}
				if p.HostIP == "" {
					p.HostIP = "0.0.0.0"
				}
				if p.Protocol == "" {
					p.Protocol = corev1.ProtocolTCP
				}
				out = append(out, p)
			}
		}
	}
	add(pod.Spec.InitContainers)
	add(pod.Spec.Containers)
	return out
}

// NodeInfo is one node and the pods the scheduler counts on it (bound
// pods seen through the informer, and pods it assumed bound).
type NodeInfo struct {
	// Node is nil while pods are known on a node the informer has not
	// delivered yet.
	Node *corev1.Node
	Pods []*PodInfo
	// PodsWithAffinity have any pod (anti-)affinity term;
	// PodsWithRequiredAntiAffinity a required anti-affinity term.
	PodsWithAffinity             []*PodInfo
	PodsWithRequiredAntiAffinity []*PodInfo
	UsedPorts                    HostPorts
	// Requested sums the pods' requests; NonZeroRequested the same with
	// scoring defaults; Allocatable is the node's.
	Requested, NonZeroRequested, Allocatable Resource
	// Generation increases with every change (the cache's clock).
	Generation int64
}

// NewNodeInfo returns an empty NodeInfo for node.
func NewNodeInfo(node *corev1.Node) *NodeInfo {
	n := &NodeInfo{UsedPorts: HostPorts{}}
	n.SetNode(node)
	return n
}

// SetNode replaces the node object.
func (n *NodeInfo) SetNode(node *corev1.Node) {
	n.Node = node
	if node != nil {
		n.Allocatable = ResourceFromList(node.Status.Allocatable)
	}
}

// Name is the node's name ("" without a node).
func (n *NodeInfo) Name() string {
	if n.Node == nil {
		return ""
	}
	return n.Node.Name
}

// AddPod counts pi on the node.
func (n *NodeInfo) AddPod(pi *PodInfo) {
	n.Pods = append(n.Pods, pi)
	if pi.HasAffinity() {
		n.PodsWithAffinity = append(n.PodsWithAffinity, pi)
	}
	if len(pi.RequiredAntiAffinity) > 0 {
		n.PodsWithRequiredAntiAffinity = append(n.PodsWithRequiredAntiAffinity, pi)
	}
	n.Requested.Plus(pi.Requests)
	n.NonZeroRequested.Plus(pi.NonZero)
	for _, p := range PodHostPorts(pi.Pod) {
		pp := ProtocolPort{p.Protocol, p.HostPort}
		if n.UsedPorts[pp] == nil {
			n.UsedPorts[pp] = map[string]int{}
		}
		n.UsedPorts[pp][p.HostIP]++
	}
}

// RemovePod uncounts the pod with uid; it reports whether it was there.
func (n *NodeInfo) RemovePod(uid types.UID) bool {
	i := indexOf(n.Pods, uid)
	if i < 0 {
		return false
	}
	pi := n.Pods[i]
	n.Pods = removeAt(n.Pods, i)
	if j := indexOf(n.PodsWithAffinity, uid); j >= 0 {
		n.PodsWithAffinity = removeAt(n.PodsWithAffinity, j)
	}
	if j := indexOf(n.PodsWithRequiredAntiAffinity, uid); j >= 0 {
		n.PodsWithRequiredAntiAffinity = removeAt(n.PodsWithRequiredAntiAffinity, j)
	}
	n.Requested.Minus(pi.Requests)
	n.NonZeroRequested.Minus(pi.NonZero)
	for _, p := range PodHostPorts(pi.Pod) {
		pp := ProtocolPort{p.Protocol, p.HostPort}
		if ips := n.UsedPorts[pp]; ips != nil {
			if ips[p.HostIP]--; ips[p.HostIP] <= 0 {
				delete(ips, p.HostIP)
			}
			if len(ips) == 0 {
				delete(n.UsedPorts, pp)
			}
		}
	}
	return true
}

// Clone returns a copy that can be changed without affecting n (pods and
// node objects are shared, never mutated).
func (n *NodeInfo) Clone() *NodeInfo {
	c := &NodeInfo{
		Node:                         n.Node,
		Pods:                         append([]*PodInfo(nil), n.Pods...),
		PodsWithAffinity:             append([]*PodInfo(nil), n.PodsWithAffinity...),
		PodsWithRequiredAntiAffinity: append([]*PodInfo(nil), n.PodsWithRequiredAntiAffinity...),
		UsedPorts:                    make(HostPorts, len(n.UsedPorts)),
		Requested:                    n.Requested.Clone(),
		NonZeroRequested:             n.NonZeroRequested.Clone(),
		Allocatable:                  n.Allocatable.Clone(),
		Generation:                   n.Generation,
	}
	for pp, ips := range n.UsedPorts {
		m := make(map[string]int, len(ips))
		for ip, k := range ips {
			m[ip] = k
		}
		c.UsedPorts[pp] = m
	}
	return c
}

func indexOf(pods []*PodInfo, uid types.UID) int {
	for i, p := range pods {
		if p.Pod.UID == uid {
			return i
		}
	}
	return -1
}

// removeAt removes element i without keeping order.
func removeAt(pods []*PodInfo, i int) []*PodInfo {
	last := len(pods) - 1
	pods[i] = pods[last]
	pods[last] = nil
	return pods[:last]
}
