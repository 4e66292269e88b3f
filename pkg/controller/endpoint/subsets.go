package endpoint

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/tinykube/tinykube/pkg/controller/podcontrol"
)

// subsets computes the Endpoints subsets of svc: pods grouped by the set
// of ports they serve (pods whose named targetPort does not resolve serve
// fewer ports, so land in another subset), addresses sorted by IP,
// subsets by their ports, so the result is stable and comparable.
// truncated reports that more than MaxCapacity addresses were cut.
func (c *Controller) subsets(svc *corev1.Service) (out []corev1.EndpointSubset, truncated bool) {
	pods, err := c.pods.Pods(svc.Namespace).List(labels.SelectorFromValidatedSet(svc.Spec.Selector))
	if err != nil {
		return nil, false
	}
	headlessNoPorts := svc.Spec.ClusterIP == corev1.ClusterIPNone && len(svc.Spec.Ports) == 0
	byPorts := map[string]*corev1.EndpointSubset{}
	for _, pod := range pods {
		if !IncludePod(pod, svc.Spec.PublishNotReadyAddresses) {
			continue
		}
		var ports []corev1.EndpointPort
		for _, sp := range svc.Spec.Ports {
			port, ok := ResolvePort(pod, sp)
			if !ok {
				continue
			}
			ports = append(ports, corev1.EndpointPort{Name: sp.Name, Port: port, Protocol: protocol(sp.Protocol), AppProtocol: sp.AppProtocol})
		}
		if len(ports) == 0 && !headlessNoPorts {
			continue
		}
		key := portsKey(ports)
		ss := byPorts[key]
		if ss == nil {
			ss = &corev1.EndpointSubset{Ports: ports}
			byPorts[key] = ss
		}
		addr := corev1.EndpointAddress{
			IP:        pod.Status.PodIP,
			TargetRef: &corev1.ObjectReference{Kind: endpointsKindRef, Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		}
		if addr.IP == "" {
			addr.IP = pod.Status.PodIPs[0].IP
		}
		if pod.Spec.NodeName != "" {
			node := pod.Spec.NodeName
			addr.NodeName = &node
		}
		if SetHostname(pod, svc) {
			addr.Hostname = pod.Spec.Hostname
		}
		if svc.Spec.PublishNotReadyAddresses || (podcontrol.IsReady(pod) && pod.DeletionTimestamp == nil) {
			ss.Addresses = append(ss.Addresses, addr)
		} else {
			ss.NotReadyAddresses = append(ss.NotReadyAddresses, addr)
		}
	}
	keys := make([]string, 0, len(byPorts))
	for k := range byPorts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ss := byPorts[k]
		sortAddresses(ss.Addresses)
		sortAddresses(ss.NotReadyAddresses)
		out = append(out, *ss)
	}
	return truncate(out)
}

func portsKey(ports []corev1.EndpointPort) string {
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = fmt.Sprintf("%s/%d/%s", p.Name, p.Port, p.Protocol)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func sortAddresses(a []corev1.EndpointAddress) {
	sort.Slice(a, func(i, j int) bool {
		if a[i].IP != a[j].IP {
			return a[i].IP < a[j].IP
		}
		return a[i].TargetRef.Name < a[j].TargetRef.Name
	})
}

// truncate keeps at most MaxCapacity addresses, ready ones first (upstream
// spreads the cut proportionally over subsets; first come is simpler).
func truncate(subsets []corev1.EndpointSubset) ([]corev1.EndpointSubset, bool) {
	total := 0
	for _, ss := range subsets {
		total += len(ss.Addresses) + len(ss.NotReadyAddresses)
	}
	if total <= MaxCapacity {
		return subsets, false
	}
	room := MaxCapacity
	for i := range subsets {
		n := min(room, len(subsets[i].Addresses))
		subsets[i].Addresses = subsets[i].Addresses[:n]
		room -= n
	}
	for i := range subsets {
		n := min(room, len(subsets[i].NotReadyAddresses))
		subsets[i].NotReadyAddresses = subsets[i].NotReadyAddresses[:n]
		room -= n
	}
	return subsets, true
}
