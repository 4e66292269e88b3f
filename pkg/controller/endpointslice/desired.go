package endpointslice

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/tinykube/tinykube/pkg/controller/endpoint"
	"github.com/tinykube/tinykube/pkg/controller/podcontrol"
)

// group is the endpoints of a Service sharing an address type and a set
// of ports: they may share slices.
type group struct {
	addressType discoveryv1.AddressType
	ports       []discoveryv1.EndpointPort
	endpoints   []discoveryv1.Endpoint
}

func (g group) key() string { return string(g.addressType) + "|" + portsKey(g.ports) }

func portsKey(ports []discoveryv1.EndpointPort) string {
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = fmt.Sprintf("%s/%d/%s", deref(p.Name), deref(p.Port), deref(p.Protocol))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// desired computes the groups of endpoints svc should publish, in a
// stable order, endpoints sorted by pod name.
func (c *Controller) desired(svc *corev1.Service) []group {
	pods, err := c.pods.Pods(svc.Namespace).List(labels.SelectorFromValidatedSet(svc.Spec.Selector))
	if err != nil {
		return nil
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	families := svc.Spec.IPFamilies
	if len(families) == 0 {
		families = []corev1.IPFamily{corev1.IPv4Protocol}
	}
	groups := map[string]*group{}
	var order []string
	for _, family := range families {
		addrType := discoveryv1.AddressTypeIPv4
		if family == corev1.IPv6Protocol {
			addrType = discoveryv1.AddressTypeIPv6
		}
		for _, pod := range pods {
			if !endpoint.IncludePod(pod, true) {
				continue
			}
			ip := podIP(pod, family)
			if ip == "" {
				continue
			}
			ports := slicePorts(svc, pod)
			if len(ports) == 0 && len(svc.Spec.Ports) > 0 {
				continue // no port of the service resolves on this pod
			}
			g := &group{addressType: addrType, ports: ports}
			if existing := groups[g.key()]; existing != nil {
				g = existing
			} else {
				groups[g.key()] = g
				order = append(order, g.key())
			}
			g.endpoints = append(g.endpoints, c.endpointFor(svc, pod, ip))
		}
	}
	out := make([]group, 0, len(order))
	for _, k := range order {
		out = append(out, *groups[k])
	}
	return out
}

func podIP(pod *corev1.Pod, family corev1.IPFamily) string {
	ips := []string{pod.Status.PodIP}
	for _, ip := range pod.Status.PodIPs {
		ips = append(ips, ip.IP)
	}
	for _, s := range ips {
		a, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		if a.Is4() == (family != corev1.IPv6Protocol) {
			return s
		}
	}
	return ""
}

func slicePorts(svc *corev1.Service, pod *corev1.Pod) []discoveryv1.EndpointPort {
	var out []discoveryv1.EndpointPort
	for _, sp := range svc.Spec.Ports {
		port, ok := endpoint.ResolvePort(pod, sp)
		if !ok {
			continue
		}
		name, proto := sp.Name, sp.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		out = append(out, discoveryv1.EndpointPort{Name: &name, Port: &port, Protocol: &proto, AppProtocol: sp.AppProtocol})
	}
	return out
}

// endpointFor is pod's endpoint: ready when Ready and not terminating,
// serving when Ready (terminating or not), as upstream.
func (c *Controller) endpointFor(svc *corev1.Service, pod *corev1.Pod, ip string) discoveryv1.Endpoint {
	podReady := podcontrol.IsReady(pod)
	terminating := pod.DeletionTimestamp != nil
	ready := svc.Spec.PublishNotReadyAddresses || (podReady && !terminating)
	serving := svc.Spec.PublishNotReadyAddresses || podReady
	ep := discoveryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &serving, Terminating: &terminating},
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
	}
	if pod.Spec.NodeName != "" {
		node := pod.Spec.NodeName
		ep.NodeName = &node
		if n, err := c.nodes.Get(node); err == nil {
			if zone, ok := n.Labels[corev1.LabelTopologyZone]; ok {
				ep.Zone = &zone
			}
		}
	}
	if endpoint.SetHostname(pod, svc) {
		h := pod.Spec.Hostname
		ep.Hostname = &h
	}
	return ep
}
