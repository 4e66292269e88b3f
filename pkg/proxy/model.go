package proxy

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// endpoint is one backend of a service port, with the conditions
// kube-proxy reads from its EndpointSlice.
type endpoint struct {
	IP   netip.Addr
	Port int32
	// Ready: conditions.ready nil or true. Serving: conditions.serving,
	// defaulting to Ready. Terminating: conditions.terminating true.
	Ready, Serving, Terminating bool
	// Local: on this proxy's node.
	Local bool
}

func (e endpoint) String() string { return fmt.Sprintf("%s:%d", e.IP, e.Port) }

// servicePort is one port of a Service, the unit kube-proxy programs.
type servicePort struct {
	Namespace, Name, PortName string
	Protocol                  string // tcp, udp, sctp
	ClusterIP                 netip.Addr
	Port                      int32
	NodePort                  int32
	ExternalIPs               []netip.Addr
	// AffinitySeconds > 0: sessionAffinity ClientIP with this timeout.
	AffinitySeconds int32
	InternalLocal   bool // internalTrafficPolicy Local
	ExternalLocal   bool // externalTrafficPolicy Local
	// Endpoints, sorted by address.
	Endpoints []endpoint
}

// id is "ns/name/proto/portname", the name kube-proxy gives a port.
func (sp *servicePort) id() string {
	return sp.Namespace + "/" + sp.Name + "/" + sp.Protocol + "/" + sp.PortName
}

// clusterEndpoints are the endpoints traffic to the service may use,
// as kube-proxy's CategorizeEndpoints picks them: the ready ones; when
// none is ready, the serving and terminating ones (so that a rolling
// update or scale-down does not drop connections while nothing else
// can answer).
func pickEndpoints(eps []endpoint, local bool) []endpoint {
	var ready, terminating []endpoint
	for _, e := range eps {
		if local && !e.Local {
			continue
		}
		if e.Ready {
			ready = append(ready, e)
		} else if e.Serving && e.Terminating {
			terminating = append(terminating, e)
		}
	}
	if len(ready) > 0 {
		return ready
	}
	return terminating
}

// externallyAccessible: the port has a NodePort or externalIPs.
func (sp *servicePort) externallyAccessible() bool {
	return sp.NodePort != 0 || len(sp.ExternalIPs) > 0
}

// problem is something wrong with the input, logged and skipped.
type problem struct {
	Service string
	Msg     string
}

// servicePorts turns a Service and its EndpointSlices into service
// ports; what cannot be used (an IPv6 or unparsable address, a
// headless or ExternalName Service) is skipped and reported.
func servicePorts(svc *corev1.Service, slices []*discoveryv1.EndpointSlice, nodeName string) ([]*servicePort, []problem) {
	var probs []problem
	key := svc.Namespace + "/" + svc.Name
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil, nil
	}
	cip := svc.Spec.ClusterIP
	if cip == "" || cip == corev1.ClusterIPNone {
		return nil, nil
	}
	clusterIP, err := netip.ParseAddr(cip)
	if err != nil || !clusterIP.Is4() {
		return nil, []problem{{key, fmt.Sprintf("clusterIP %q is not an IPv4 address; skipped", cip)}}
	}
	var externalIPs []netip.Addr
	for _, s := range svc.Spec.ExternalIPs {
		ip, err := netip.ParseAddr(s)
		if err != nil || !ip.Is4() {
			probs = append(probs, problem{key, fmt.Sprintf("externalIP %q is not an IPv4 address; skipped", s)})
			continue
		}
		externalIPs = append(externalIPs, ip)
	}
	var affinity int32
	if svc.Spec.SessionAffinity == corev1.ServiceAffinityClientIP {
		affinity = corev1.DefaultClientIPServiceAffinitySeconds
		if c := svc.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil {
			affinity = *c.ClientIP.TimeoutSeconds
		}
	}
	iLocal := svc.Spec.InternalTrafficPolicy != nil && *svc.Spec.InternalTrafficPolicy == corev1.ServiceInternalTrafficPolicyLocal
	eLocal := svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal // only set when externally accessible

	var out []*servicePort
	for _, p := range svc.Spec.Ports {
		proto := strings.ToLower(string(p.Protocol))
		if proto == "" {
			proto = "tcp"
		}
		if proto != "tcp" && proto != "udp" && proto != "sctp" {
			probs = append(probs, problem{key, fmt.Sprintf("port %q: protocol %s not supported; skipped", p.Name, p.Protocol)})
			continue
		}
		sp := &servicePort{Namespace: svc.Namespace, Name: svc.Name, PortName: p.Name, Protocol: proto,
			ClusterIP: clusterIP, Port: p.Port, ExternalIPs: externalIPs, AffinitySeconds: affinity,
			InternalLocal: iLocal, ExternalLocal: eLocal}
		if svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
			sp.NodePort = p.NodePort
		}
		seen := map[netip.Addr]bool{}
		for _, sl := range slices {
			if sl.AddressType != discoveryv1.AddressTypeIPv4 {
				continue // IPv6 and FQDN slices are not ours (kube-proxy skips FQDN too)
			}
			var port int32
			found := false
			for _, ep := range sl.Ports {
				name := ""
				if ep.Name != nil {
					name = *ep.Name
				}
				epProto := "tcp"
				if ep.Protocol != nil {
					epProto = strings.ToLower(string(*ep.Protocol))
				}
				if name == p.Name && epProto == proto && ep.Port != nil {
					port, found = *ep.Port, true
				}
			}
			if !found {
				continue
			}
			if port <= 0 || port > 65535 {
				probs = append(probs, problem{key, fmt.Sprintf("EndpointSlice %s: port %d out of range; skipped", sl.Name, port)})
				continue
			}
			for _, e := range sl.Endpoints {
				if len(e.Addresses) == 0 {
					continue
				}
				ip, err := netip.ParseAddr(e.Addresses[0])
				if err != nil || !ip.Is4() || ip.IsUnspecified() || ip.IsLoopback() || ip.IsMulticast() {
					probs = append(probs, problem{key, fmt.Sprintf("EndpointSlice %s: address %q is not a usable IPv4 address; endpoint skipped", sl.Name, e.Addresses[0])})
					continue
				}
				if seen[ip] {
					continue
				}
				seen[ip] = true
				ready := e.Conditions.Ready == nil || *e.Conditions.Ready
				serving := ready
				if e.Conditions.Serving != nil {
					serving = *e.Conditions.Serving
				}
				term := e.Conditions.Terminating != nil && *e.Conditions.Terminating
				sp.Endpoints = append(sp.Endpoints, endpoint{IP: ip, Port: port, Ready: ready, Serving: serving, Terminating: term,
					Local: e.NodeName != nil && *e.NodeName == nodeName})
			}
		}
		sort.Slice(sp.Endpoints, func(i, j int) bool { return sp.Endpoints[i].IP.Less(sp.Endpoints[j].IP) })
		out = append(out, sp)
	}
	return out, probs
}
