package endpointslicemirroring

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// group is the endpoints sharing an address type and a set of ports: one
// or more slices.
type group struct {
	addressType discoveryv1.AddressType
	ports       []discoveryv1.EndpointPort
	endpoints   []discoveryv1.Endpoint
}

func (g group) key() string { return string(g.addressType) + "|" + portsKey(g.ports) }

func portsKey(ports []discoveryv1.EndpointPort) string {
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = fmt.Sprintf("%s/%d/%s/%s", deref(p.Name), deref(p.Port), deref(p.Protocol), deref(p.AppProtocol))
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

// desired computes the groups ep mirrors to, in a stable order. Subsets
// with the same ports are merged (an address listed twice is kept once,
// ready if any listing is ready), as upstream's repacking; each subset
// contributes at most MaxEndpointsPerSubset addresses (ready ones
// first); addresses that are not IPs are skipped.
func desired(ep *corev1.Endpoints) []group {
	groups := map[string]*group{}
	var order []string
	seen := map[string]map[string]int{} // group key → IP → index in endpoints
	for _, ss := range ep.Subsets {
		ports := slicePorts(ss.Ports)
		added := 0
		add := func(a corev1.EndpointAddress, ready bool) {
			if added >= MaxEndpointsPerSubset {
				return
			}
			ip, err := netip.ParseAddr(a.IP)
			if err != nil {
				return
			}
			ip = ip.Unmap()
			g := &group{addressType: discoveryv1.AddressTypeIPv4, ports: ports}
			if ip.Is6() {
				g.addressType = discoveryv1.AddressTypeIPv6
			}
			k := g.key()
			if existing := groups[k]; existing != nil {
				g = existing
			} else {
				groups[k], seen[k] = g, map[string]int{}
				order = append(order, k)
			}
			added++
			if i, dup := seen[k][ip.String()]; dup {
				if ready {
					r := true
					g.endpoints[i].Conditions.Ready = &r
				}
				return
			}
			seen[k][ip.String()] = len(g.endpoints)
			g.endpoints = append(g.endpoints, endpointFor(a, ip, ready))
		}
		for _, a := range ss.Addresses {
			add(a, true)
		}
		for _, a := range ss.NotReadyAddresses {
			add(a, false)
		}
	}
	out := make([]group, 0, len(order))
	for _, k := range order {
		out = append(out, *groups[k])
	}
	return out
}

func slicePorts(ports []corev1.EndpointPort) []discoveryv1.EndpointPort {
	out := make([]discoveryv1.EndpointPort, 0, len(ports))
	for _, p := range ports {
		name, port, proto := p.Name, p.Port, p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		out = append(out, discoveryv1.EndpointPort{Name: &name, Port: &port, Protocol: &proto, AppProtocol: p.AppProtocol})
	}
	return out
}

func endpointFor(a corev1.EndpointAddress, ip netip.Addr, ready bool) discoveryv1.Endpoint {
	e := discoveryv1.Endpoint{
		Addresses:  []string{ip.String()},
		Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		TargetRef:  a.TargetRef,
		NodeName:   a.NodeName,
	}
	if a.Hostname != "" {
		h := a.Hostname
		e.Hostname = &h
	}
	return e
}
