package validation

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func validateIngress(ing *networkingv1.Ingress) field.ErrorList {
	errs := objectMeta(&ing.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateIngressSpec(&ing.Spec, field.NewPath("spec"))...)
}

var pathTypes = []networkingv1.PathType{networkingv1.PathTypeExact, networkingv1.PathTypePrefix,
	networkingv1.PathTypeImplementationSpecific}

func validateIngressSpec(s *networkingv1.IngressSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.DefaultBackend == nil && len(s.Rules) == 0 {
		errs = append(errs, field.Invalid(p, s.Rules, "either `defaultBackend` or `rules` must be specified"))
	}
	if s.DefaultBackend != nil {
		errs = append(errs, validateIngressBackend(s.DefaultBackend, p.Child("defaultBackend"))...)
	}
	if s.IngressClassName != nil {
		errs = append(errs, dnsSubdomain(*s.IngressClassName, p.Child("ingressClassName"))...)
	}
	for i, r := range s.Rules {
		rp := p.Child("rules").Index(i)
		if r.Host != "" {
			errs = append(errs, ingressHost(r.Host, rp.Child("host"))...)
		}
		if r.HTTP == nil {
			continue
		}
		hp := rp.Child("http", "paths")
		if len(r.HTTP.Paths) == 0 {
			errs = append(errs, field.Required(hp, ""))
		}
		for j, path := range r.HTTP.Paths {
			pp := hp.Index(j)
			if path.PathType == nil {
				errs = append(errs, field.Required(pp.Child("pathType"), "pathType must be specified"))
			} else {
				errs = append(errs, enum(*path.PathType, pp.Child("pathType"), pathTypes...)...)
				if *path.PathType != networkingv1.PathTypeImplementationSpecific && !strings.HasPrefix(path.Path, "/") {
					errs = append(errs, field.Invalid(pp.Child("path"), path.Path, "must be an absolute path"))
				}
			}
			errs = append(errs, validateIngressBackend(&path.Backend, pp.Child("backend"))...)
		}
	}
	for i, tls := range s.TLS {
		for j, h := range tls.Hosts {
			errs = append(errs, ingressHost(h, p.Child("tls").Index(i).Child("hosts").Index(j))...)
		}
	}
	return errs
}

// ingressHost allows a leading "*." wildcard label and rejects IPs.
func ingressHost(h string, p *field.Path) field.ErrorList {
	if utilvalidation.IsValidIP(p, h) == nil {
		return field.ErrorList{field.Invalid(p, h, "must be a DNS name, not an IP address")}
	}
	if strings.HasPrefix(h, "*.") {
		var errs field.ErrorList
		for _, msg := range utilvalidation.IsWildcardDNS1123Subdomain(h) {
			errs = append(errs, field.Invalid(p, h, msg))
		}
		return errs
	}
	return dnsSubdomain(h, p)
}

func validateIngressBackend(b *networkingv1.IngressBackend, p *field.Path) field.ErrorList {
	switch {
	case b.Service != nil && b.Resource != nil:
		return field.ErrorList{field.Invalid(p, "", "cannot set both resource and service backends")}
	case b.Resource != nil:
		var errs field.ErrorList
		if b.Resource.Kind == "" {
			errs = append(errs, field.Required(p.Child("resource", "kind"), ""))
		}
		if b.Resource.Name == "" {
			errs = append(errs, field.Required(p.Child("resource", "name"), ""))
		}
		return errs
	case b.Service == nil:
		return field.ErrorList{field.Invalid(p, "", "resource or service backend is required")}
	}
	sp := p.Child("service")
	errs := dnsLabel(b.Service.Name, sp.Child("name"))
	port, pp := b.Service.Port, sp.Child("port")
	switch {
	case port.Name != "" && port.Number != 0:
		errs = append(errs, field.Invalid(pp, port.Name, "cannot set both port name & port number"))
	case port.Name != "":
		for _, msg := range utilvalidation.IsValidPortName(port.Name) {
			errs = append(errs, field.Invalid(pp.Child("name"), port.Name, msg))
		}
	case port.Number != 0:
		for _, msg := range utilvalidation.IsValidPortNum(int(port.Number)) {
			errs = append(errs, field.Invalid(pp.Child("number"), port.Number, msg))
		}
	default:
		errs = append(errs, field.Required(pp, "port name or number is required"))
	}
	return errs
}

func validateIngressUpdate(ing, old *networkingv1.Ingress) field.ErrorList {
	return withMetaUpdate(&ing.ObjectMeta, &old.ObjectMeta, validateIngressSpec(&ing.Spec, field.NewPath("spec")))
}

func validateIngressClass(ic *networkingv1.IngressClass) field.ErrorList {
	errs := objectMeta(&ic.ObjectMeta, false, nameIsDNSSubdomain)
	return append(errs, validateIngressClassSpec(&ic.Spec, field.NewPath("spec"))...)
}

func validateIngressClassSpec(s *networkingv1.IngressClassSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	cp := p.Child("controller")
	if s.Controller == "" {
		errs = append(errs, field.Required(cp, ""))
	} else if len(s.Controller) > 250 {
		errs = append(errs, field.TooLong(cp, "", 250))
	} else {
		errs = append(errs, utilvalidation.IsDomainPrefixedPath(cp, s.Controller)...)
	}
	if r := s.Parameters; r != nil {
		pp := p.Child("parameters")
		if r.Kind == "" {
			errs = append(errs, field.Required(pp.Child("kind"), ""))
		}
		if r.Name == "" {
			errs = append(errs, field.Required(pp.Child("name"), ""))
		}
		if r.Scope == nil {
			errs = append(errs, field.Required(pp.Child("scope"), ""))
		} else {
			errs = append(errs, enum(*r.Scope, pp.Child("scope"), networkingv1.IngressClassParametersReferenceScopeCluster,
				networkingv1.IngressClassParametersReferenceScopeNamespace)...)
			if *r.Scope == networkingv1.IngressClassParametersReferenceScopeNamespace && r.Namespace == nil {
				errs = append(errs, field.Required(pp.Child("namespace"), "`parameters.scope` is set to 'Namespace'"))
			}
			if *r.Scope == networkingv1.IngressClassParametersReferenceScopeCluster && r.Namespace != nil {
				errs = append(errs, field.Forbidden(pp.Child("namespace"), "`parameters.scope` is set to 'Cluster'"))
			}
		}
	}
	return errs
}

func validateIngressClassUpdate(ic, old *networkingv1.IngressClass) field.ErrorList {
	p := field.NewPath("spec")
	errs := withMetaUpdate(&ic.ObjectMeta, &old.ObjectMeta, validateIngressClassSpec(&ic.Spec, p))
	return append(errs, immutable(ic.Spec.Controller, old.Spec.Controller, p.Child("controller"))...)
}

func validateNetworkPolicy(np *networkingv1.NetworkPolicy) field.ErrorList {
	errs := objectMeta(&np.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateNetworkPolicySpec(&np.Spec, field.NewPath("spec"))...)
}

func validateNetworkPolicySpec(s *networkingv1.NetworkPolicySpec, p *field.Path) field.ErrorList {
	errs := labelSelector(&s.PodSelector, p.Child("podSelector"))
	for i, r := range s.Ingress {
		rp := p.Child("ingress").Index(i)
		errs = append(errs, networkPolicyPorts(r.Ports, rp.Child("ports"))...)
		errs = append(errs, networkPolicyPeers(r.From, rp.Child("from"))...)
	}
	for i, r := range s.Egress {
		rp := p.Child("egress").Index(i)
		errs = append(errs, networkPolicyPorts(r.Ports, rp.Child("ports"))...)
		errs = append(errs, networkPolicyPeers(r.To, rp.Child("to"))...)
	}
	tp := p.Child("policyTypes")
	if len(s.PolicyTypes) > 2 {
		errs = append(errs, field.Invalid(tp, s.PolicyTypes, "may not specify more than two policyTypes"))
	}
	for i, t := range s.PolicyTypes {
		errs = append(errs, enum(t, tp.Index(i), networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress)...)
	}
	return errs
}

func networkPolicyPorts(ports []networkingv1.NetworkPolicyPort, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, port := range ports {
		pp := p.Index(i)
		if port.Protocol != nil {
			errs = append(errs, enum(*port.Protocol, pp.Child("protocol"), corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP)...)
		}
		if port.Port == nil {
			if port.EndPort != nil {
				errs = append(errs, field.Required(pp.Child("port"), "must specify port when endPort is specified"))
			}
			continue
		}
		if port.Port.IntVal != 0 || port.Port.StrVal == "" {
			for _, msg := range utilvalidation.IsValidPortNum(int(port.Port.IntVal)) {
				errs = append(errs, field.Invalid(pp.Child("port"), port.Port.IntVal, msg))
			}
			if port.EndPort != nil && *port.EndPort < port.Port.IntVal {
				errs = append(errs, field.Invalid(pp.Child("endPort"), *port.EndPort, "must be greater than or equal to `port`"))
			}
			continue
		}
		for _, msg := range utilvalidation.IsValidPortName(port.Port.StrVal) {
			errs = append(errs, field.Invalid(pp.Child("port"), port.Port.StrVal, msg))
		}
		if port.EndPort != nil {
			errs = append(errs, field.Invalid(pp.Child("endPort"), *port.EndPort, "may not be specified when `port` is non-numeric"))
		}
	}
	return errs
}

func networkPolicyPeers(peers []networkingv1.NetworkPolicyPeer, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, peer := range peers {
		pp := p.Index(i)
		if peer.PodSelector != nil {
			errs = append(errs, labelSelector(peer.PodSelector, pp.Child("podSelector"))...)
		}
		if peer.NamespaceSelector != nil {
			errs = append(errs, labelSelector(peer.NamespaceSelector, pp.Child("namespaceSelector"))...)
		}
		b := peer.IPBlock
		switch {
		case b == nil && peer.PodSelector == nil && peer.NamespaceSelector == nil:
			errs = append(errs, field.Required(pp, "must specify a peer"))
		case b == nil:
		case peer.PodSelector != nil || peer.NamespaceSelector != nil:
			errs = append(errs, field.Forbidden(pp, "may not specify more than 1 peer type"))
		default:
			bp := pp.Child("ipBlock")
			if b.CIDR == "" {
				errs = append(errs, field.Required(bp.Child("cidr"), ""))
				continue
			}
			errs = append(errs, utilvalidation.IsValidCIDR(bp.Child("cidr"), b.CIDR)...)
			for j, e := range b.Except {
				errs = append(errs, utilvalidation.IsValidCIDR(bp.Child("except").Index(j), e)...)
			}
		}
	}
	return errs
}

func validateNetworkPolicyUpdate(np, old *networkingv1.NetworkPolicy) field.ErrorList {
	return withMetaUpdate(&np.ObjectMeta, &old.ObjectMeta, validateNetworkPolicySpec(&np.Spec, field.NewPath("spec")))
}

func validateRuntimeClass(rc *nodev1.RuntimeClass) field.ErrorList {
	errs := objectMeta(&rc.ObjectMeta, false, nameIsDNSSubdomain)
	return append(errs, validateRuntimeClassBody(rc)...)
}

func validateRuntimeClassBody(rc *nodev1.RuntimeClass) field.ErrorList {
	hp := field.NewPath("handler")
	var errs field.ErrorList
	if rc.Handler == "" {
		errs = append(errs, field.Required(hp, ""))
	} else {
		errs = append(errs, dnsLabel(rc.Handler, hp)...)
	}
	if rc.Overhead != nil {
		errs = append(errs, validateResourceList(rc.Overhead.PodFixed, field.NewPath("overhead", "podFixed"))...)
	}
	if rc.Scheduling != nil {
		sp := field.NewPath("scheduling")
		errs = append(errs, labels(rc.Scheduling.NodeSelector, sp.Child("nodeSelector"))...)
	}
	return errs
}

func validateRuntimeClassUpdate(rc, old *nodev1.RuntimeClass) field.ErrorList {
	errs := withMetaUpdate(&rc.ObjectMeta, &old.ObjectMeta, validateRuntimeClassBody(rc))
	return append(errs, immutable(rc.Handler, old.Handler, field.NewPath("handler"))...)
}

// validateIngressStatus checks the load-balancer addresses as a
// Service's: IPs parse, hostnames are DNS names and not IPs.
func validateIngressStatus(ing *networkingv1.Ingress) field.ErrorList {
	var lb corev1.LoadBalancerStatus
	for _, in := range ing.Status.LoadBalancer.Ingress {
		lb.Ingress = append(lb.Ingress, corev1.LoadBalancerIngress{IP: in.IP, Hostname: in.Hostname})
	}
	return validateLoadBalancerStatus(&lb, field.NewPath("status", "loadBalancer"))
}
