package validation

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func validateNamespace(ns *corev1.Namespace) field.ErrorList {
	errs := objectMeta(&ns.ObjectMeta, false, nameIsNamespaceName)
	return append(errs, validateNamespaceSpec(ns)...)
}

func validateNamespaceSpec(ns *corev1.Namespace) field.ErrorList {
	var errs field.ErrorList
	fp := field.NewPath("spec", "finalizers")
	for i, f := range ns.Spec.Finalizers {
		errs = append(errs, validateFinalizerName(string(f), fp.Index(i))...)
	}
	return errs
}

// validateFinalizerName: qualified name; unqualified names must be the
// standard "kubernetes" finalizer.
func validateFinalizerName(f string, p *field.Path) field.ErrorList {
	errs := apimachineryvalidation.ValidateFinalizerName(f, p)
	if len(errs) == 0 && !strings.Contains(f, "/") && f != string(corev1.FinalizerKubernetes) &&
		f != "orphan" && f != "foregroundDeletion" {
		errs = append(errs, field.Invalid(p, f, "name is neither a standard finalizer name nor is it fully qualified"))
	}
	return errs
}

func validateNode(n *corev1.Node) field.ErrorList {
	errs := objectMeta(&n.ObjectMeta, false, nameIsDNSSubdomain)
	return append(errs, validateNodeSpec(n)...)
}

func validateNodeSpec(n *corev1.Node) field.ErrorList {
	var errs field.ErrorList
	sp := field.NewPath("spec")
	if n.Spec.PodCIDR != "" {
		errs = append(errs, utilvalidation.IsValidCIDR(sp.Child("podCIDR"), n.Spec.PodCIDR)...)
	}
	cp := sp.Child("podCIDRs")
	if len(n.Spec.PodCIDRs) > 2 {
		errs = append(errs, field.Invalid(cp, n.Spec.PodCIDRs, "may specify no more than one CIDR for each IP family"))
	}
	v6 := 0
	for i, c := range n.Spec.PodCIDRs {
		cerrs := utilvalidation.IsValidCIDR(cp.Index(i), c)
		errs = append(errs, cerrs...)
		if len(cerrs) == 0 {
			if pfx, err := netip.ParsePrefix(c); err == nil && pfx.Addr().Is6() {
				v6++
			}
		}
	}
	if len(n.Spec.PodCIDRs) == 2 && v6 != 1 {
		errs = append(errs, field.Invalid(cp, n.Spec.PodCIDRs, "may specify no more than one CIDR for each IP family"))
	}
	if n.Spec.PodCIDR != "" && len(n.Spec.PodCIDRs) > 0 && n.Spec.PodCIDRs[0] != n.Spec.PodCIDR {
		errs = append(errs, field.Invalid(cp, n.Spec.PodCIDRs, "first value must match `podCIDR`"))
	}
	return append(errs, validateTaints(n.Spec.Taints, sp.Child("taints"))...)
}

func validateTaints(taints []corev1.Taint, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[string]()
	for i, t := range taints {
		ip := p.Index(i)
		errs = append(errs, qualifiedName(t.Key, ip.Child("key"))...)
		if t.Value != "" {
			for _, msg := range utilvalidation.IsValidLabelValue(t.Value) {
				errs = append(errs, field.Invalid(ip.Child("value"), t.Value, msg))
			}
		}
		errs = append(errs, enum(t.Effect, ip.Child("effect"), taintEffects...)...)
		k := t.Key + "\x00" + string(t.Effect)
		if seen.Has(k) {
			errs = append(errs, field.Duplicate(ip, fmt.Sprintf("taints must be unique by key and effect pair (%s:%s)", t.Key, t.Effect)))
		}
		seen.Insert(k)
	}
	return errs
}

func validateNodeUpdate(n, old *corev1.Node) field.ErrorList {
	errs := metaUpdate(&n.ObjectMeta, &old.ObjectMeta)
	errs = append(errs, validateNodeSpec(n)...)
	sp := field.NewPath("spec")
	if len(old.Spec.PodCIDRs) > 0 && !semanticEqual(old.Spec.PodCIDRs, n.Spec.PodCIDRs) {
		errs = append(errs, field.Forbidden(sp.Child("podCIDRs"), "node updates may not change podCIDR except from \"\" to valid"))
	}
	if old.Spec.ProviderID != "" && old.Spec.ProviderID != n.Spec.ProviderID {
		errs = append(errs, field.Forbidden(sp.Child("providerID"), "node updates may not change providerID except from \"\" to valid"))
	}
	return errs
}

func validateEvent(e *corev1.Event) field.ErrorList {
	errs := objectMeta(&e.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateEventBody(e)...)
}

func validateEventBody(e *corev1.Event) field.ErrorList {
	var errs field.ErrorList
	if ns := e.InvolvedObject.Namespace; ns != "" && ns != e.Namespace {
		errs = append(errs, field.Invalid(field.NewPath("involvedObject", "namespace"), ns, "does not match event.namespace"))
	}
	if e.Type != "" {
		errs = append(errs, enum(e.Type, field.NewPath("type"), corev1.EventTypeNormal, corev1.EventTypeWarning)...)
	}
	errs = append(errs, nonNegative(int64(e.Count), field.NewPath("count"))...)
	return errs
}

const maxEventNoteLength = 1024

func validateEventsV1(e *eventsv1.Event) field.ErrorList {
	errs := objectMeta(&e.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateEventsV1Body(e)...)
}

func validateEventsV1Body(e *eventsv1.Event) field.ErrorList {
	var errs field.ErrorList
	if e.EventTime.IsZero() {
		errs = append(errs, field.Required(field.NewPath("eventTime"), ""))
	}
	if e.ReportingController == "" {
		errs = append(errs, field.Required(field.NewPath("reportingController"), ""))
	} else {
		errs = append(errs, qualifiedName(e.ReportingController, field.NewPath("reportingController"))...)
	}
	if e.ReportingInstance == "" {
		errs = append(errs, field.Required(field.NewPath("reportingInstance"), ""))
	}
	if e.Action == "" {
		errs = append(errs, field.Required(field.NewPath("action"), ""))
	}
	if e.Reason == "" {
		errs = append(errs, field.Required(field.NewPath("reason"), ""))
	}
	errs = append(errs, enum(e.Type, field.NewPath("type"), corev1.EventTypeNormal, corev1.EventTypeWarning)...)
	if len(e.Note) > maxEventNoteLength {
		errs = append(errs, field.TooLong(field.NewPath("note"), "", maxEventNoteLength))
	}
	if ns := e.Regarding.Namespace; ns != "" && ns != e.Namespace {
		errs = append(errs, field.Invalid(field.NewPath("regarding", "namespace"), ns, "does not match event.namespace"))
	}
	return errs
}

var limitTypes = []corev1.LimitType{corev1.LimitTypePod, corev1.LimitTypeContainer, corev1.LimitTypePersistentVolumeClaim}

func validateLimitRange(lr *corev1.LimitRange) field.ErrorList {
	errs := objectMeta(&lr.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateLimitRangeSpec(&lr.Spec, field.NewPath("spec"))...)
}

func validateLimitRangeSpec(s *corev1.LimitRangeSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[corev1.LimitType]()
	for i := range s.Limits {
		l := &s.Limits[i]
		ip := p.Child("limits").Index(i)
		errs = append(errs, enum(l.Type, ip.Child("type"), limitTypes...)...)
		if seen.Has(l.Type) {
			errs = append(errs, field.Duplicate(ip.Child("type"), l.Type))
		}
		seen.Insert(l.Type)
		for name, list := range map[string]corev1.ResourceList{
			"max": l.Max, "min": l.Min, "default": l.Default, "defaultRequest": l.DefaultRequest, "maxLimitRequestRatio": l.MaxLimitRequestRatio,
		} {
			errs = append(errs, validateResourceList(list, ip.Child(name))...)
		}
		if l.Type == corev1.LimitTypePod {
			if len(l.Default) > 0 {
				errs = append(errs, field.Forbidden(ip.Child("default"), "may not be specified when `type` is 'Pod'"))
			}
			if len(l.DefaultRequest) > 0 {
				errs = append(errs, field.Forbidden(ip.Child("defaultRequest"), "may not be specified when `type` is 'Pod'"))
			}
		}
		for k, maxQ := range l.Max {
			if q, ok := l.Min[k]; ok && q.Cmp(maxQ) > 0 {
				errs = append(errs, field.Invalid(ip.Child("min").Key(string(k)), q.String(), fmt.Sprintf("min value %s is greater than max value %s", q.String(), maxQ.String())))
			}
			if q, ok := l.Default[k]; ok && q.Cmp(maxQ) > 0 {
				errs = append(errs, field.Invalid(ip.Child("default").Key(string(k)), q.String(), fmt.Sprintf("default value %s is greater than max value %s", q.String(), maxQ.String())))
			}
			if q, ok := l.DefaultRequest[k]; ok && q.Cmp(maxQ) > 0 {
				errs = append(errs, field.Invalid(ip.Child("defaultRequest").Key(string(k)), q.String(), fmt.Sprintf("default request value %s is greater than max value %s", q.String(), maxQ.String())))
			}
		}
		for k, minQ := range l.Min {
			if q, ok := l.DefaultRequest[k]; ok && minQ.Cmp(q) > 0 {
				errs = append(errs, field.Invalid(ip.Child("defaultRequest").Key(string(k)), q.String(), fmt.Sprintf("min value %s is greater than default request value %s", minQ.String(), q.String())))
			}
			if q, ok := l.Default[k]; ok && minQ.Cmp(q) > 0 {
				errs = append(errs, field.Invalid(ip.Child("default").Key(string(k)), q.String(), fmt.Sprintf("min value %s is greater than default value %s", minQ.String(), q.String())))
			}
		}
		for k, q := range l.DefaultRequest {
			if d, ok := l.Default[k]; ok && q.Cmp(d) > 0 {
				errs = append(errs, field.Invalid(ip.Child("defaultRequest").Key(string(k)), q.String(), fmt.Sprintf("default request value %s is greater than default limit value %s", q.String(), d.String())))
			}
		}
	}
	return errs
}

var quotaScopes = []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeTerminating, corev1.ResourceQuotaScopeNotTerminating,
	corev1.ResourceQuotaScopeBestEffort, corev1.ResourceQuotaScopeNotBestEffort, corev1.ResourceQuotaScopePriorityClass,
	corev1.ResourceQuotaScopeCrossNamespacePodAffinity, corev1.ResourceQuotaScopeVolumeAttributesClass}

func validateResourceQuota(q *corev1.ResourceQuota) field.ErrorList {
	errs := objectMeta(&q.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateResourceQuotaSpec(&q.Spec, field.NewPath("spec"))...)
}

func validateResourceQuotaSpec(s *corev1.ResourceQuotaSpec, p *field.Path) field.ErrorList {
	errs := validateResourceList(s.Hard, p.Child("hard"))
	for i, sc := range s.Scopes {
		errs = append(errs, enum(sc, p.Child("scopes").Index(i), quotaScopes...)...)
	}
	if s.ScopeSelector != nil {
		for i, r := range s.ScopeSelector.MatchExpressions {
			rp := p.Child("scopeSelector", "matchExpressions").Index(i)
			errs = append(errs, enum(r.ScopeName, rp.Child("scopeName"), quotaScopes...)...)
			errs = append(errs, enum(r.Operator, rp.Child("operator"), corev1.ScopeSelectorOpIn, corev1.ScopeSelectorOpNotIn,
				corev1.ScopeSelectorOpExists, corev1.ScopeSelectorOpDoesNotExist)...)
		}
	}
	return errs
}

func validateResourceQuotaUpdate(q, old *corev1.ResourceQuota) field.ErrorList {
	errs := withMetaUpdate(&q.ObjectMeta, &old.ObjectMeta, validateResourceQuotaSpec(&q.Spec, field.NewPath("spec")))
	errs = append(errs, immutable(q.Spec.Scopes, old.Spec.Scopes, field.NewPath("spec", "scopes"))...)
	return append(errs, immutable(q.Spec.ScopeSelector, old.Spec.ScopeSelector, field.NewPath("spec", "scopeSelector"))...)
}
