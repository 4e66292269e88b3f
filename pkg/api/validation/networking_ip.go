package validation

import (
	"net/netip"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// IPAddresses and ServiceCIDRs of networking.k8s.io/v1, with upstream's
// rules.

// ipAddressName: an IPAddress is named after its address.
func ipAddressName(name string, _ bool) []string {
	var msgs []string
	for _, e := range validation.IsValidIP(&field.Path{}, name) {
		msgs = append(msgs, e.Detail)
	}
	return msgs
}

func validateIPAddress(ip *networkingv1.IPAddress) field.ErrorList {
	errs := objectMeta(&ip.ObjectMeta, false, ipAddressName)
	p := field.NewPath("spec", "parentRef")
	ref := ip.Spec.ParentRef
	if ref == nil {
		return append(errs, field.Required(p, ""))
	}
	if ref.Group != "" { // the core group (Services) is ""
		errs = append(errs, dnsSubdomain(ref.Group, p.Child("group"))...)
	}
	errs = append(errs, pathSegment(ref.Resource, p.Child("resource"))...)
	errs = append(errs, pathSegment(ref.Name, p.Child("name"))...)
	if ref.Namespace != "" {
		errs = append(errs, pathSegment(ref.Namespace, p.Child("namespace"))...)
	}
	return errs
}

func validateIPAddressUpdate(ip, old *networkingv1.IPAddress) field.ErrorList {
	errs := metaUpdate(&ip.ObjectMeta, &old.ObjectMeta)
	return append(errs, immutable(ip.Spec.ParentRef, old.Spec.ParentRef, field.NewPath("spec", "parentRef"))...)
}

func validateServiceCIDR(c *networkingv1.ServiceCIDR) field.ErrorList {
	errs := objectMeta(&c.ObjectMeta, false, nameIsDNSSubdomain)
	return append(errs, serviceCIDRs(c.Spec.CIDRs, field.NewPath("spec", "cidrs"))...)
}

// serviceCIDRs: one or two CIDRs, one of each IP family.
func serviceCIDRs(cidrs []string, p *field.Path) field.ErrorList {
	switch {
	case len(cidrs) == 0:
		return field.ErrorList{field.Required(p, "at least one CIDR required")}
	case len(cidrs) > 2:
		return field.ErrorList{field.Invalid(p, cidrs, "may only hold up to 2 values")}
	}
	var errs field.ErrorList
	for i, c := range cidrs {
		errs = append(errs, validation.IsValidCIDR(p.Index(i), c)...)
	}
	if len(cidrs) == 2 {
		a, errA := netip.ParsePrefix(cidrs[0])
		b, errB := netip.ParsePrefix(cidrs[1])
		if errA == nil && errB == nil && a.Addr().Is4() == b.Addr().Is4() {
			errs = append(errs, field.Invalid(p, cidrs, "may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64"))
		}
	}
	return errs
}

// validateServiceCIDRUpdate: the CIDRs are immutable, except that a
// single-stack ServiceCIDR may gain a second CIDR of the other family.
func validateServiceCIDRUpdate(c, old *networkingv1.ServiceCIDR) field.ErrorList {
	errs := metaUpdate(&c.ObjectMeta, &old.ObjectMeta)
	p := field.NewPath("spec", "cidrs")
	switch {
	case len(old.Spec.CIDRs) == len(c.Spec.CIDRs):
		for i, v := range old.Spec.CIDRs {
			if c.Spec.CIDRs[i] != v {
				errs = append(errs, field.Invalid(p.Index(i), c.Spec.CIDRs[i], immutableMsg))
			}
		}
	case len(old.Spec.CIDRs) == 1 && len(c.Spec.CIDRs) == 2:
		if c.Spec.CIDRs[0] != old.Spec.CIDRs[0] {
			errs = append(errs, field.Invalid(p.Index(0), c.Spec.CIDRs[0], immutableMsg))
		}
		errs = append(errs, serviceCIDRs(c.Spec.CIDRs, p)...)
	default:
		errs = append(errs, field.Invalid(p, c.Spec.CIDRs, immutableMsg))
	}
	return errs
}
