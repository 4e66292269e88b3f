package validation

import (
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var serviceTypes = []corev1.ServiceType{corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort,
	corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName}

func validateService(svc *corev1.Service) field.ErrorList {
	errs := objectMeta(&svc.ObjectMeta, true, nameIsDNS1035Label)
	return append(errs, validateServiceSpec(svc, field.NewPath("spec"))...)
}

func isHeadless(svc *corev1.Service) bool { return svc.Spec.ClusterIP == corev1.ClusterIPNone }

func validateServiceSpec(svc *corev1.Service, p *field.Path) field.ErrorList {
	s := &svc.Spec
	var errs field.ErrorList
	errs = append(errs, enum(s.Type, p.Child("type"), serviceTypes...)...)

	if s.Type == corev1.ServiceTypeExternalName {
		ep := p.Child("externalName")
		if s.ExternalName == "" {
			errs = append(errs, field.Required(ep, ""))
		} else {
			errs = append(errs, dnsSubdomain(strings.TrimSuffix(s.ExternalName, "."), ep)...)
		}
		if s.ClusterIP != "" || len(s.ClusterIPs) > 0 {
			errs = append(errs, field.Forbidden(p.Child("clusterIPs"), "may not be set for ExternalName services"))
		}
	} else {
		errs = append(errs, validateClusterIPs(s, p)...)
	}

	pp := p.Child("ports")
	if len(s.Ports) == 0 && !isHeadless(svc) && s.Type != corev1.ServiceTypeExternalName {
		errs = append(errs, field.Required(pp, ""))
	}
	names := sets.New[string]()
	type portKey struct {
		port  int32
		proto corev1.Protocol
	}
	seen := map[portKey]bool{}
	for i := range s.Ports {
		port := &s.Ports[i]
		ip := pp.Index(i)
		np := ip.Child("name")
		if len(s.Ports) > 1 && port.Name == "" {
			errs = append(errs, field.Required(np, ""))
		} else if port.Name != "" {
			errs = append(errs, dnsLabel(port.Name, np)...)
			if names.Has(port.Name) {
				errs = append(errs, field.Duplicate(np, port.Name))
			}
			names.Insert(port.Name)
		}
		for _, msg := range utilvalidation.IsValidPortNum(int(port.Port)) {
			errs = append(errs, field.Invalid(ip.Child("port"), port.Port, msg))
		}
		errs = append(errs, enum(port.Protocol, ip.Child("protocol"), protocols...)...)
		errs = append(errs, validatePortNumOrName(port.TargetPort, ip.Child("targetPort"))...)
		if port.NodePort != 0 {
			if s.Type == corev1.ServiceTypeClusterIP || s.Type == corev1.ServiceTypeExternalName {
				errs = append(errs, field.Forbidden(ip.Child("nodePort"), "may not be used when `type` is '"+string(s.Type)+"'"))
			}
			for _, msg := range utilvalidation.IsValidPortNum(int(port.NodePort)) {
				errs = append(errs, field.Invalid(ip.Child("nodePort"), port.NodePort, msg))
			}
		}
		k := portKey{port.Port, port.Protocol}
		if seen[k] {
			errs = append(errs, field.Duplicate(ip, k))
		}
		seen[k] = true
	}

	errs = append(errs, labels(s.Selector, p.Child("selector"))...)
	errs = append(errs, optionalEnum(s.SessionAffinity, p.Child("sessionAffinity"), corev1.ServiceAffinityClientIP, corev1.ServiceAffinityNone)...)
	if s.SessionAffinity == corev1.ServiceAffinityClientIP && s.SessionAffinityConfig != nil &&
		s.SessionAffinityConfig.ClientIP != nil && s.SessionAffinityConfig.ClientIP.TimeoutSeconds != nil {
		if t := *s.SessionAffinityConfig.ClientIP.TimeoutSeconds; t <= 0 || t > 86400 {
			errs = append(errs, field.Invalid(p.Child("sessionAffinityConfig", "clientIP", "timeoutSeconds"), t, "must be greater than 0 and less than 86400"))
		}
	}
	etp := p.Child("externalTrafficPolicy")
	if s.ExternalTrafficPolicy != "" {
		// Externally accessible, as upstream's apiservice.ExternallyAccessible:
		// a NodePort or LoadBalancer, or a ClusterIP with externalIPs.
		if s.Type != corev1.ServiceTypeNodePort && s.Type != corev1.ServiceTypeLoadBalancer &&
			(s.Type != corev1.ServiceTypeClusterIP || len(s.ExternalIPs) == 0) {
			errs = append(errs, field.Invalid(etp, s.ExternalTrafficPolicy, "may only be set for externally-accessible services"))
		} else {
			errs = append(errs, enum(s.ExternalTrafficPolicy, etp, corev1.ServiceExternalTrafficPolicyCluster, corev1.ServiceExternalTrafficPolicyLocal)...)
		}
	}
	if s.InternalTrafficPolicy != nil {
		errs = append(errs, enum(*s.InternalTrafficPolicy, p.Child("internalTrafficPolicy"), corev1.ServiceInternalTrafficPolicyCluster, corev1.ServiceInternalTrafficPolicyLocal)...)
	}
	if s.IPFamilyPolicy != nil {
		errs = append(errs, enum(*s.IPFamilyPolicy, p.Child("ipFamilyPolicy"), corev1.IPFamilyPolicySingleStack, corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack)...)
	}
	fams := sets.New[corev1.IPFamily]()
	for i, f := range s.IPFamilies {
		fp := p.Child("ipFamilies").Index(i)
		errs = append(errs, enum(f, fp, corev1.IPv4Protocol, corev1.IPv6Protocol)...)
		if fams.Has(f) {
			errs = append(errs, field.Duplicate(fp, f))
		}
		fams.Insert(f)
	}
	if len(s.IPFamilies) > 2 {
		errs = append(errs, field.Invalid(p.Child("ipFamilies"), s.IPFamilies, "may specify no more than one IP for each IP family"))
	}
	for i, ip := range s.ExternalIPs {
		errs = append(errs, utilvalidation.IsValidIP(p.Child("externalIPs").Index(i), ip)...)
	}
	for i, cidr := range s.LoadBalancerSourceRanges {
		errs = append(errs, utilvalidation.IsValidCIDR(p.Child("loadBalancerSourceRanges").Index(i), strings.TrimSpace(cidr))...)
	}
	if s.HealthCheckNodePort != 0 {
		hp := p.Child("healthCheckNodePort")
		if s.Type != corev1.ServiceTypeLoadBalancer || s.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
			errs = append(errs, field.Invalid(hp, s.HealthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
		}
		for _, msg := range utilvalidation.IsValidPortNum(int(s.HealthCheckNodePort)) {
			errs = append(errs, field.Invalid(hp, s.HealthCheckNodePort, msg))
		}
	}
	return errs
}

func validateClusterIPs(s *corev1.ServiceSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	cp := p.Child("clusterIPs")
	if s.ClusterIP != "" && len(s.ClusterIPs) > 0 && s.ClusterIPs[0] != s.ClusterIP {
		errs = append(errs, field.Invalid(cp, s.ClusterIPs, "first value must match `clusterIP`"))
	}
	if len(s.ClusterIPs) > 2 {
		errs = append(errs, field.Invalid(cp, s.ClusterIPs, "may only hold up to 2 values"))
	}
	for i, ip := range s.ClusterIPs {
		if ip == corev1.ClusterIPNone {
			if i > 0 || len(s.ClusterIPs) > 1 {
				errs = append(errs, field.Invalid(cp.Index(i), ip, "'None' must be the first and only value"))
			}
			continue
		}
		if _, err := netip.ParseAddr(ip); err != nil {
			errs = append(errs, field.Invalid(cp.Index(i), ip, "must be empty, 'None', or a valid IP address"))
		}
	}
	if s.ClusterIP != "" && s.ClusterIP != corev1.ClusterIPNone && len(s.ClusterIPs) == 0 {
		if _, err := netip.ParseAddr(s.ClusterIP); err != nil {
			errs = append(errs, field.Invalid(p.Child("clusterIP"), s.ClusterIP, "must be empty, 'None', or a valid IP address"))
		}
	}
	if s.ClusterIP == corev1.ClusterIPNone && s.Type != corev1.ServiceTypeClusterIP && s.Type != "" {
		errs = append(errs, field.Invalid(p.Child("clusterIPs").Index(0), s.ClusterIP, "may not be set to 'None' for "+string(s.Type)+" services"))
	}
	return errs
}

func validateServiceUpdate(svc, old *corev1.Service) field.ErrorList {
	errs := metaUpdate(&svc.ObjectMeta, &old.ObjectMeta)
	sp := field.NewPath("spec")
	errs = append(errs, validateServiceSpec(svc, sp)...)
	// The primary cluster IP may not change once allocated, except when
	// moving to or from ExternalName. An empty new value is filled from the
	// old object by the registry before validation, as upstream does.
	if svc.Spec.Type != corev1.ServiceTypeExternalName && old.Spec.Type != corev1.ServiceTypeExternalName {
		oldIP, newIP := primaryClusterIP(&old.Spec), primaryClusterIP(&svc.Spec)
		if oldIP != "" && newIP != "" && oldIP != newIP {
			errs = append(errs, field.Invalid(sp.Child("clusterIPs").Index(0), svc.Spec.ClusterIPs, "may not change once set"))
		}
	}
	return errs
}

func primaryClusterIP(s *corev1.ServiceSpec) string {
	if len(s.ClusterIPs) > 0 {
		return s.ClusterIPs[0]
	}
	return s.ClusterIP
}

func validateLoadBalancerStatus(s *corev1.LoadBalancerStatus, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, in := range s.Ingress {
		ip := p.Child("ingress").Index(i)
		if in.IP != "" {
			errs = append(errs, utilvalidation.IsValidIP(ip.Child("ip"), in.IP)...)
		}
		if in.Hostname != "" {
			errs = append(errs, dnsSubdomain(in.Hostname, ip.Child("hostname"))...)
			if _, err := netip.ParseAddr(in.Hostname); err == nil {
				errs = append(errs, field.Invalid(ip.Child("hostname"), in.Hostname, "must be a DNS name, not an IP address"))
			}
		}
	}
	return errs
}

func validateEndpoints(ep *corev1.Endpoints) field.ErrorList {
	errs := objectMeta(&ep.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateEndpointSubsets(ep.Subsets, field.NewPath("subsets"))...)
}

func validateEndpointSubsets(subsets []corev1.EndpointSubset, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i := range subsets {
		ss := &subsets[i]
		ip := p.Index(i)
		if len(ss.Addresses) == 0 && len(ss.NotReadyAddresses) == 0 {
			errs = append(errs, field.Required(ip, "must specify `addresses` or `notReadyAddresses`"))
		}
		for j := range ss.Addresses {
			errs = append(errs, validateEndpointAddress(&ss.Addresses[j], ip.Child("addresses").Index(j))...)
		}
		for j := range ss.NotReadyAddresses {
			errs = append(errs, validateEndpointAddress(&ss.NotReadyAddresses[j], ip.Child("notReadyAddresses").Index(j))...)
		}
		for j, port := range ss.Ports {
			pp := ip.Child("ports").Index(j)
			if len(ss.Ports) > 1 && port.Name == "" {
				errs = append(errs, field.Required(pp.Child("name"), ""))
			} else if port.Name != "" {
				errs = append(errs, dnsLabel(port.Name, pp.Child("name"))...)
			}
			for _, msg := range utilvalidation.IsValidPortNum(int(port.Port)) {
				errs = append(errs, field.Invalid(pp.Child("port"), port.Port, msg))
			}
			errs = append(errs, enum(port.Protocol, pp.Child("protocol"), protocols...)...)
		}
	}
	return errs
}

func validateEndpointAddress(a *corev1.EndpointAddress, p *field.Path) field.ErrorList {
	ipp := p.Child("ip")
	errs := utilvalidation.IsValidIP(ipp, a.IP)
	if len(errs) == 0 {
		errs = append(errs, nonSpecialIP(a.IP, ipp)...)
	}
	if a.Hostname != "" {
		errs = append(errs, dnsLabel(a.Hostname, p.Child("hostname"))...)
	}
	if a.NodeName != nil && *a.NodeName != "" {
		errs = append(errs, dnsSubdomain(*a.NodeName, p.Child("nodeName"))...)
	}
	return errs
}

// nonSpecialIP rejects addresses that can never be a pod or node endpoint.
func nonSpecialIP(s string, p *field.Path) field.ErrorList {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return nil
	}
	switch {
	case ip.IsUnspecified():
		return field.ErrorList{field.Invalid(p, s, "may not be unspecified (0.0.0.0)")}
	case ip.IsLoopback():
		return field.ErrorList{field.Invalid(p, s, "may not be in the loopback range (127.0.0.0/8, ::1/128)")}
	case ip.IsLinkLocalUnicast():
		return field.ErrorList{field.Invalid(p, s, "may not be in the link-local range (169.254.0.0/16, fe80::/10)")}
	case ip.IsLinkLocalMulticast():
		return field.ErrorList{field.Invalid(p, s, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)")}
	}
	return nil
}

const (
	maxEndpointsPerSlice = 1000
	maxPortsPerSlice     = 100
	maxAddressesPerEP    = 100
)

func validateEndpointSlice(es *discoveryv1.EndpointSlice) field.ErrorList {
	errs := objectMeta(&es.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateEndpointSliceBody(es)...)
}

func validateEndpointSliceBody(es *discoveryv1.EndpointSlice) field.ErrorList {
	errs := enum(es.AddressType, field.NewPath("addressType"),
		discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6, discoveryv1.AddressTypeFQDN)
	ep := field.NewPath("endpoints")
	if len(es.Endpoints) > maxEndpointsPerSlice {
		errs = append(errs, field.TooMany(ep, len(es.Endpoints), maxEndpointsPerSlice))
	}
	for i := range es.Endpoints {
		e := &es.Endpoints[i]
		ip := ep.Index(i)
		ap := ip.Child("addresses")
		if len(e.Addresses) == 0 {
			errs = append(errs, field.Required(ap, "must contain at least 1 address"))
		} else if len(e.Addresses) > maxAddressesPerEP {
			errs = append(errs, field.TooMany(ap, len(e.Addresses), maxAddressesPerEP))
		}
		for j, a := range e.Addresses {
			errs = append(errs, validateSliceAddress(es.AddressType, a, ap.Index(j))...)
		}
		if e.Hostname != nil {
			errs = append(errs, dnsLabel(*e.Hostname, ip.Child("hostname"))...)
		}
		if e.NodeName != nil {
			errs = append(errs, dnsSubdomain(*e.NodeName, ip.Child("nodeName"))...)
		}
	}
	pp := field.NewPath("ports")
	if len(es.Ports) > maxPortsPerSlice {
		errs = append(errs, field.TooMany(pp, len(es.Ports), maxPortsPerSlice))
	}
	names := sets.New[string]()
	for i, port := range es.Ports {
		ip := pp.Index(i)
		name := ""
		if port.Name != nil {
			name = *port.Name
		}
		if name != "" {
			errs = append(errs, dnsLabel(name, ip.Child("name"))...)
		}
		if names.Has(name) {
			errs = append(errs, field.Duplicate(ip.Child("name"), name))
		}
		names.Insert(name)
		if port.Protocol == nil {
			errs = append(errs, field.Required(ip.Child("protocol"), ""))
		} else {
			errs = append(errs, enum(*port.Protocol, ip.Child("protocol"), protocols...)...)
		}
		if port.Port != nil && (*port.Port < 0 || *port.Port > 65535) {
			errs = append(errs, field.Invalid(ip.Child("port"), *port.Port, utilvalidation.InclusiveRangeError(0, 65535)))
		}
	}
	return errs
}

func validateSliceAddress(t discoveryv1.AddressType, a string, p *field.Path) field.ErrorList {
	switch t {
	case discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6:
		ip, err := netip.ParseAddr(a)
		if err != nil {
			return utilvalidation.IsValidIP(p, a)
		}
		if t == discoveryv1.AddressTypeIPv4 && !ip.Is4() {
			return field.ErrorList{field.Invalid(p, a, "must be a valid IPv4 address")}
		}
		if t == discoveryv1.AddressTypeIPv6 && !ip.Is6() {
			return field.ErrorList{field.Invalid(p, a, "must be a valid IPv6 address")}
		}
		return nonSpecialIP(a, p)
	case discoveryv1.AddressTypeFQDN:
		return utilvalidation.IsFullyQualifiedDomainName(p, a)
	}
	return nil
}

func validateEndpointSliceUpdate(es, old *discoveryv1.EndpointSlice) field.ErrorList {
	errs := withMetaUpdate(&es.ObjectMeta, &old.ObjectMeta, validateEndpointSliceBody(es))
	return append(errs, immutable(es.AddressType, old.AddressType, field.NewPath("addressType"))...)
}
