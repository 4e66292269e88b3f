package dns

import (
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

// Index names on the informers' stores.
const (
	// byClusterIP: Services by each of their ClusterIPs.
	byClusterIP = "dns-cluster-ip"
	// byService: EndpointSlices by "namespace/service".
	byService = "dns-service"
	// byAddress: EndpointSlices by each address of a ready endpoint.
	byAddress = "dns-address"
)

// indexers are the indexes the records are read through.
func serviceIndexers() cache.Indexers {
	return cache.Indexers{byClusterIP: func(obj any) ([]string, error) {
		svc, ok := obj.(*corev1.Service)
		if !ok {
			return nil, nil
		}
		var ips []string
		for _, ip := range clusterIPs(svc) {
			if ip != corev1.ClusterIPNone && ip != "" {
				ips = append(ips, ip)
			}
		}
		return ips, nil
	}}
}

func sliceIndexers() cache.Indexers {
	return cache.Indexers{
		byService: func(obj any) ([]string, error) {
			s, ok := obj.(*discoveryv1.EndpointSlice)
			if !ok || s.Labels[discoveryv1.LabelServiceName] == "" {
				return nil, nil
			}
			return []string{s.Namespace + "/" + s.Labels[discoveryv1.LabelServiceName]}, nil
		},
		byAddress: func(obj any) ([]string, error) {
			s, ok := obj.(*discoveryv1.EndpointSlice)
			if !ok {
				return nil, nil
			}
			var ips []string
			for _, ep := range s.Endpoints {
				if ready(ep) {
					ips = append(ips, ep.Addresses...)
				}
			}
			return ips, nil
		},
	}
}

// ready: a nil Ready is unknown, which consumers take as ready (the API's
// advice, and the plugin's reading).
func ready(ep discoveryv1.Endpoint) bool {
	return ep.Conditions.Ready == nil || *ep.Conditions.Ready
}

// clusterIPs are a Service's ClusterIPs, the single ClusterIP of one
// written before dual-stack.
func clusterIPs(svc *corev1.Service) []string {
	if len(svc.Spec.ClusterIPs) > 0 {
		return svc.Spec.ClusterIPs
	}
	return []string{svc.Spec.ClusterIP}
}

func headless(svc *corev1.Service) bool {
	return clusterIPs(svc)[0] == corev1.ClusterIPNone
}

// record is one thing a name stands for: an address (or, for an
// ExternalName Service, a host name) and a port (-1: none), owned by
// name (lower case, fully qualified), which is an SRV record's target.
type record struct {
	host string
	port int
	name string
}

// isIP reports whether a record's host is an address, and which family.
func (r record) addr() (netip.Addr, bool) {
	a, err := netip.ParseAddr(r.host)
	return a, err == nil
}

// cluster answers from the informers' stores. zone is the cluster
// domain, lower case, fully qualified.
type cluster struct {
	zone                         string
	services, slices, namespaces cache.Indexer
}

// records are the records of base (the lower-case name less the zone),
// or errNameError when it does not exist; none and no error is a name
// that exists with nothing in it (NODATA). This is the plugin's Records.
func (c *cluster) records(base string) ([]record, error) {
	r, err := parseName(base)
	if err != nil {
		return nil, err
	}
	if r.kind == "" {
		return nil, nil
	}
	if !c.namespaceExists(r.namespace) {
		return nil, errNameError
	}
	if r.kind == podLabel {
		return c.pod(r)
	}
	return c.service(r)
}

func (c *cluster) namespaceExists(ns string) bool {
	_, ok, _ := c.namespaces.GetByKey(ns)
	return ok
}

// pod answers a-b-c-d.namespace.pod.zone with the address in the name,
// whether or not such a pod exists ("pods insecure").
func (c *cluster) pod(r request) ([]record, error) {
	if r.service == "" {
		return nil, nil
	}
	ip := podIP(r.service)
	if _, err := netip.ParseAddr(ip); err != nil {
		return nil, errNameError
	}
	return []record{{host: ip, port: 0, name: r.service + "." + r.namespace + "." + podLabel + "." + c.zone}}, nil
}

// service answers the names under service.namespace.svc.zone.
func (c *cluster) service(r request) ([]record, error) {
	if r.service == "" {
		return nil, nil
	}
	key := r.namespace + "/" + r.service
	obj, ok, _ := c.services.GetByKey(key)
	if !ok {
		return nil, errNameError
	}
	svc := obj.(*corev1.Service)
	name := r.service + "." + r.namespace + "." + svcLabel + "." + c.zone
	switch {
	case svc.Spec.Type == corev1.ServiceTypeExternalName:
		// No endpoints and no ports under an ExternalName; an
		// address given as the external name is not a CNAME and
		// answers nothing.
		if r.endpoint != "" || r.port != "" || r.protocol != "" {
			return nil, errNameError
		}
		if _, err := netip.ParseAddr(svc.Spec.ExternalName); err == nil || svc.Spec.ExternalName == "" {
			return nil, errNameError
		}
		return []record{{host: strings.ToLower(svc.Spec.ExternalName), port: 0, name: name}}, nil
	case headless(svc) || r.endpoint != "":
		return c.endpoints(r, key, name)
	}
	var recs []record
	found := false
	for _, p := range svc.Spec.Ports {
		if !matchPort(r, p.Name, string(p.Protocol)) {
			continue
		}
		found = true
		for _, ip := range clusterIPs(svc) {
			recs = append(recs, record{host: ip, port: int(p.Port), name: name})
		}
	}
	if !found {
		return nil, errNameError
	}
	return recs, nil
}

// endpoints are the ready endpoints of a Service (key), each address
// with each matching port (-1 for a slice without ports), named
// hostname.service.namespace.svc.zone.
func (c *cluster) endpoints(r request, key, svcName string) ([]record, error) {
	slices, _ := c.slices.ByIndex(byService, key)
	var recs []record
	for _, obj := range slices {
		s := obj.(*discoveryv1.EndpointSlice)
		if s.AddressType == discoveryv1.AddressTypeFQDN {
			continue
		}
		for _, ep := range s.Endpoints {
			if !ready(ep) {
				continue
			}
			var hostname string
			if ep.Hostname != nil {
				hostname = *ep.Hostname
			}
			for _, ip := range ep.Addresses {
				h := endpointHostname(hostname, ip)
				if r.endpoint != "" && !strings.EqualFold(r.endpoint, h) {
					continue
				}
				name := strings.ToLower(h) + "." + svcName
				if len(s.Ports) == 0 {
					if r.port == "" && r.protocol == "" {
						recs = append(recs, record{host: ip, port: -1, name: name})
					}
					continue
				}
				for _, p := range s.Ports {
					var pname, proto string
					if p.Name != nil {
						pname = *p.Name
					}
					if p.Protocol != nil {
						proto = string(*p.Protocol)
					}
					if !matchPort(r, pname, proto) {
						continue
					}
					port := -1
					if p.Port != nil {
						port = int(*p.Port)
					}
					recs = append(recs, record{host: ip, port: port, name: name})
				}
			}
		}
	}
	if len(recs) == 0 {
		return nil, errNameError
	}
	return recs, nil
}

// matchPort: the name's _port and _protocol, where given, match
// (without regard to case).
func matchPort(r request, name, proto string) bool {
	return (r.port == "" || strings.EqualFold(r.port, name)) && (r.protocol == "" || strings.EqualFold(r.protocol, proto))
}

// reverse is the names of an address: its Service's when it is a
// ClusterIP, else those of every ready endpoint that has it.
func (c *cluster) reverse(ip string) []string {
	if svcs, _ := c.services.ByIndex(byClusterIP, ip); len(svcs) > 0 {
		svc := svcs[0].(*corev1.Service)
		return []string{svc.Name + "." + svc.Namespace + "." + svcLabel + "." + c.zone}
	}
	slices, _ := c.slices.ByIndex(byAddress, ip)
	var names []string
	for _, obj := range slices {
		s := obj.(*discoveryv1.EndpointSlice)
		svc := s.Labels[discoveryv1.LabelServiceName]
		for _, ep := range s.Endpoints {
			if !ready(ep) {
				continue
			}
			for _, a := range ep.Addresses {
				if a != ip {
					continue
				}
				var hostname string
				if ep.Hostname != nil {
					hostname = *ep.Hostname
				}
				names = append(names, endpointHostname(hostname, a)+"."+svc+"."+s.Namespace+"."+svcLabel+"."+c.zone)
			}
		}
	}
	return names
}
