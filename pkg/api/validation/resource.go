package validation

import (
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	resourcev1 "k8s.io/api/resource/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validation of resource.k8s.io/v1 (dynamic resource allocation), after
// upstream's pkg/apis/resource/validation: names, required fields, the
// shape of device requests, allocation mode and count, a ResourceSlice's
// one way of selecting nodes, and a claim's immutable spec and allocation.
// CEL selector expressions are required and bounded in length but not
// compiled.

func validateDeviceClass(c *resourcev1.DeviceClass) field.ErrorList {
	errs := objectMeta(&c.ObjectMeta, false, nameIsDNSSubdomain)
	return append(errs, validateDeviceClassSpec(&c.Spec, field.NewPath("spec"))...)
}

func validateDeviceClassUpdate(c, old *resourcev1.DeviceClass) field.ErrorList {
	return withMetaUpdate(&c.ObjectMeta, &old.ObjectMeta, validateDeviceClassSpec(&c.Spec, field.NewPath("spec")))
}

func validateDeviceTaintRule(r *resourcev1.DeviceTaintRule) field.ErrorList {
	errs := objectMeta(&r.ObjectMeta, false, nameIsDNSSubdomain)
	return append(errs, validateDeviceTaintRuleSpec(&r.Spec, nil, field.NewPath("spec"))...)
}

func validateDeviceTaintRuleUpdate(r, old *resourcev1.DeviceTaintRule) field.ErrorList {
	return withMetaUpdate(&r.ObjectMeta, &old.ObjectMeta, validateDeviceTaintRuleSpec(&r.Spec, &old.Spec, field.NewPath("spec")))
}

// validateDeviceTaintRuleStatus: at most 8 valid conditions.
func validateDeviceTaintRuleStatus(r, _ *resourcev1.DeviceTaintRule) field.ErrorList {
	p := field.NewPath("status", "conditions")
	errs := metav1validation.ValidateConditions(r.Status.Conditions, p)
	return append(errs, tooMany(len(r.Status.Conditions), resourcev1.DeviceTaintRuleStatusMaxConditions, p)...)
}

func validateResourceClaim(c *resourcev1.ResourceClaim) field.ErrorList {
	errs := objectMeta(&c.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateDeviceClaim(&c.Spec.Devices, field.NewPath("spec", "devices"))...)
}

// validateResourceClaimUpdate: the spec never changes.
func validateResourceClaimUpdate(c, old *resourcev1.ResourceClaim) field.ErrorList {
	return withMetaUpdate(&c.ObjectMeta, &old.ObjectMeta, immutable(c.Spec, old.Spec, field.NewPath("spec")))
}

func validateResourceClaimTemplate(t *resourcev1.ResourceClaimTemplate) field.ErrorList {
	errs := objectMeta(&t.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateResourceClaimTemplateSpec(&t.Spec, field.NewPath("spec"))...)
}

// validateResourceClaimTemplateUpdate: the spec never changes.
func validateResourceClaimTemplateUpdate(t, old *resourcev1.ResourceClaimTemplate) field.ErrorList {
	return withMetaUpdate(&t.ObjectMeta, &old.ObjectMeta, immutable(t.Spec, old.Spec, field.NewPath("spec")))
}

func validateResourceSlice(s *resourcev1.ResourceSlice) field.ErrorList {
	errs := objectMeta(&s.ObjectMeta, false, nameIsDNSSubdomain)
	return append(errs, validateResourceSliceSpec(&s.Spec, nil, field.NewPath("spec"))...)
}

// validateResourceSliceUpdate: a slice keeps its driver, pool name and
// node name.
func validateResourceSliceUpdate(s, old *resourcev1.ResourceSlice) field.ErrorList {
	return withMetaUpdate(&s.ObjectMeta, &old.ObjectMeta, validateResourceSliceSpec(&s.Spec, &old.Spec, field.NewPath("spec")))
}

// Names: drivers as CSI drivers, pools as slash-separated DNS subdomains,
// devices and requests as DNS labels, classes as DNS subdomains.

func validatePoolName(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	var errs field.ErrorList
	if len(v) > resourcev1.PoolNameMaxLength {
		errs = append(errs, field.TooLong(p, "", resourcev1.PoolNameMaxLength))
	}
	for _, part := range strings.Split(v, "/") {
		errs = append(errs, dnsSubdomain(part, p)...)
	}
	return errs
}

func requiredDNSSubdomain(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	return dnsSubdomain(v, p)
}

func tooMany(n, limit int, p *field.Path) field.ErrorList {
	if n > limit {
		return field.ErrorList{field.TooMany(p, n, limit)}
	}
	return nil
}

// DeviceClass.

func validateDeviceClassSpec(s *resourcev1.DeviceClassSpec, p *field.Path) field.ErrorList {
	errs := validateSelectors(s.Selectors, p.Child("selectors"))
	errs = append(errs, tooMany(len(s.Config), resourcev1.DeviceConfigMaxSize, p.Child("config"))...)
	for i, c := range s.Config {
		errs = append(errs, validateDeviceConfiguration(&c.DeviceConfiguration, p.Child("config").Index(i))...)
	}
	if n := s.ExtendedResourceName; n != nil && !extendedResourceName(*n) {
		errs = append(errs, field.Invalid(p.Child("extendedResourceName"), *n, "must be a valid extended resource name"))
	}
	return errs
}

// extendedResourceName: a domain-prefixed name outside kubernetes.io, not
// starting with "requests.", that is still a qualified name with that
// prefix (upstream's IsExtendedResourceName).
func extendedResourceName(n string) bool {
	if !strings.Contains(n, "/") || strings.Contains(n, corev1.ResourceDefaultNamespacePrefix) ||
		strings.HasPrefix(n, corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	return len(utilvalidation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+n)) == 0
}

func validateSelectors(sels []resourcev1.DeviceSelector, p *field.Path) field.ErrorList {
	errs := tooMany(len(sels), resourcev1.DeviceSelectorsMaxSize, p)
	for i, s := range sels {
		sp := p.Index(i).Child("cel")
		switch {
		case s.CEL == nil:
			errs = append(errs, field.Required(sp, ""))
		case strings.TrimSpace(s.CEL.Expression) == "":
			errs = append(errs, field.Required(sp.Child("expression"), ""))
		case len(s.CEL.Expression) > resourcev1.CELSelectorExpressionMaxLength:
			errs = append(errs, field.TooLong(sp.Child("expression"), "", resourcev1.CELSelectorExpressionMaxLength))
		}
	}
	return errs
}

func validateDeviceConfiguration(c *resourcev1.DeviceConfiguration, p *field.Path) field.ErrorList {
	if c.Opaque == nil {
		return field.ErrorList{field.Required(p.Child("opaque"), "")}
	}
	op := p.Child("opaque")
	errs := csiDriverName(c.Opaque.Driver, op.Child("driver"))
	return append(errs, validateOpaqueParameters(c.Opaque.Parameters.Raw, op.Child("parameters"))...)
}

// validateOpaqueParameters requires a JSON object of at most 10 KiB.
func validateOpaqueParameters(raw []byte, p *field.Path) field.ErrorList {
	var v any
	switch {
	case len(raw) == 0:
		return field.ErrorList{field.Required(p, "")}
	case len(raw) > resourcev1.OpaqueParametersMaxLength:
		return field.ErrorList{field.TooLong(p, "", resourcev1.OpaqueParametersMaxLength)}
	case json.Unmarshal(raw, &v) != nil:
		return field.ErrorList{field.Invalid(p, "<value omitted>", "error parsing data as JSON")}
	case v == nil:
		return field.ErrorList{field.Required(p, "")}
	}
	if _, ok := v.(map[string]any); !ok {
		return field.ErrorList{field.Invalid(p, "<value omitted>", "must be a valid JSON object")}
	}
	return nil
}

// ResourceClaim and ResourceClaimTemplate.

func validateResourceClaimTemplateSpec(s *resourcev1.ResourceClaimTemplateSpec, p *field.Path) field.ErrorList {
	mp := p.Child("metadata")
	errs := labels(s.Labels, mp.Child("labels"))
	errs = append(errs, apimachineryvalidation.ValidateAnnotations(s.Annotations, mp.Child("annotations"))...)
	return append(errs, validateDeviceClaim(&s.Spec.Devices, p.Child("spec", "devices"))...)
}

// requestNames maps each request of a claim to the names of its
// firstAvailable alternatives (nil for an exact request).
type requestNames map[string]sets.Set[string]

func requestNamesOf(d *resourcev1.DeviceClaim) requestNames {
	out := requestNames{}
	for _, r := range d.Requests {
		var subs sets.Set[string]
		if len(r.FirstAvailable) > 0 {
			subs = sets.New[string]()
			for _, s := range r.FirstAvailable {
				subs.Insert(s.Name)
			}
		}
		out[r.Name] = subs
	}
	return out
}

// ref checks a reference to "request" or "request/subrequest".
func (r requestNames) ref(name string, p *field.Path) field.ErrorList {
	parts := strings.Split(name, "/")
	msg := "must be the name of a request in the claim or the name of a request and a subrequest separated by '/'"
	if len(parts) > 2 {
		return field.ErrorList{field.Invalid(p, name, msg)}
	}
	var errs field.ErrorList
	for _, part := range parts {
		errs = append(errs, dnsLabel(part, p)...)
	}
	subs, ok := r[parts[0]]
	if !ok || len(parts) == 2 && !subs.Has(parts[1]) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	return errs
}

func (r requestNames) refs(names []string, p *field.Path) field.ErrorList {
	errs := tooMany(len(names), resourcev1.DeviceRequestsMaxSize, p)
	seen := sets.New[string]()
	for i, n := range names {
		if seen.Has(n) {
			errs = append(errs, field.Duplicate(p.Index(i), n))
		}
		seen.Insert(n)
		errs = append(errs, r.ref(n, p.Index(i))...)
	}
	return errs
}

func validateDeviceClaim(d *resourcev1.DeviceClaim, p *field.Path) field.ErrorList {
	rp := p.Child("requests")
	errs := tooMany(len(d.Requests), resourcev1.DeviceRequestsMaxSize, rp)
	seen := sets.New[string]()
	for i, r := range d.Requests {
		ip := rp.Index(i)
		if seen.Has(r.Name) {
			errs = append(errs, field.Duplicate(ip.Child("name"), r.Name))
		}
		seen.Insert(r.Name)
		errs = append(errs, validateDeviceRequest(&r, ip)...)
	}
	names := requestNamesOf(d)
	cp := p.Child("constraints")
	errs = append(errs, tooMany(len(d.Constraints), resourcev1.DeviceConstraintsMaxSize, cp)...)
	for i, c := range d.Constraints {
		ip := cp.Index(i)
		errs = append(errs, names.refs(c.Requests, ip.Child("requests"))...)
		switch {
		case c.MatchAttribute != nil && c.DistinctAttribute != nil:
			errs = append(errs, field.Invalid(ip, "", `exactly one of "matchAttribute" or "distinctAttribute" is required, but multiple fields are set`))
		case c.MatchAttribute != nil:
			errs = append(errs, fullyQualifiedName(string(*c.MatchAttribute), ip.Child("matchAttribute"))...)
		case c.DistinctAttribute != nil:
			errs = append(errs, fullyQualifiedName(string(*c.DistinctAttribute), ip.Child("distinctAttribute"))...)
		default:
			errs = append(errs, field.Required(ip, `exactly one of "matchAttribute" or "distinctAttribute" is required`))
		}
	}
	fp := p.Child("config")
	errs = append(errs, tooMany(len(d.Config), resourcev1.DeviceConfigMaxSize, fp)...)
	for i, c := range d.Config {
		errs = append(errs, names.refs(c.Requests, fp.Index(i).Child("requests"))...)
		errs = append(errs, validateDeviceConfiguration(&c.DeviceConfiguration, fp.Index(i))...)
	}
	return errs
}

// validateDeviceRequest: a request is either exactly one kind of device
// or a list of alternatives, each with a class, selectors, an allocation
// mode and its count.
func validateDeviceRequest(r *resourcev1.DeviceRequest, p *field.Path) field.ErrorList {
	errs := dnsLabel(r.Name, p.Child("name"))
	switch {
	case r.Exactly == nil && len(r.FirstAvailable) == 0:
		errs = append(errs, field.Required(p, "exactly one of `exactly` or `firstAvailable` is required"))
	case r.Exactly != nil && len(r.FirstAvailable) > 0:
		errs = append(errs, field.Invalid(p, nil, "exactly one of `exactly` or `firstAvailable` is required, but multiple fields are set"))
	case r.Exactly != nil:
		e, ep := r.Exactly, p.Child("exactly")
		errs = append(errs, validateDeviceSelection(e.DeviceClassName, e.Selectors, e.AllocationMode, e.Count, e.Tolerations, ep)...)
	default:
		fp := p.Child("firstAvailable")
		errs = append(errs, tooMany(len(r.FirstAvailable), resourcev1.FirstAvailableDeviceRequestMaxSize, fp)...)
		seen := sets.New[string]()
		for i, s := range r.FirstAvailable {
			sp := fp.Index(i)
			errs = append(errs, dnsLabel(s.Name, sp.Child("name"))...)
			if seen.Has(s.Name) {
				errs = append(errs, field.Duplicate(sp.Child("name"), s.Name))
			}
			seen.Insert(s.Name)
			errs = append(errs, validateDeviceSelection(s.DeviceClassName, s.Selectors, s.AllocationMode, s.Count, s.Tolerations, sp)...)
		}
	}
	return errs
}

func validateDeviceSelection(class string, sels []resourcev1.DeviceSelector, mode resourcev1.DeviceAllocationMode, count int64,
	tols []resourcev1.DeviceToleration, p *field.Path) field.ErrorList {
	errs := requiredDNSSubdomain(class, p.Child("deviceClassName"))
	errs = append(errs, validateSelectors(sels, p.Child("selectors"))...)
	switch mode {
	case resourcev1.DeviceAllocationModeAll:
		if count != 0 {
			errs = append(errs, field.Invalid(p.Child("count"), count, fmt.Sprintf("must not be specified when allocationMode is '%s'", mode)))
		}
	case resourcev1.DeviceAllocationModeExactCount:
		if count <= 0 {
			errs = append(errs, field.Invalid(p.Child("count"), count, "must be greater than zero"))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("allocationMode"), mode,
			[]resourcev1.DeviceAllocationMode{resourcev1.DeviceAllocationModeAll, resourcev1.DeviceAllocationModeExactCount}))
	}
	errs = append(errs, tooMany(len(tols), resourcev1.DeviceTolerationsMaxLength, p.Child("tolerations"))...)
	for i, t := range tols {
		errs = append(errs, validateDeviceToleration(&t, p.Child("tolerations").Index(i))...)
	}
	return errs
}

// fullyQualifiedName is <driver domain>/<C identifier>.
func fullyQualifiedName(v string, p *field.Path) field.ErrorList {
	domain, id, ok := strings.Cut(v, "/")
	if !ok || domain == "" {
		return field.ErrorList{field.Invalid(p, v, "a fully qualified name must be a domain and a name separated by a slash")}
	}
	errs := csiDriverName(domain, p)
	return append(errs, cIdentifier(id, p)...)
}

func cIdentifier(v string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(v) > resourcev1.DeviceMaxIDLength {
		errs = append(errs, field.TooLong(p, "", resourcev1.DeviceMaxIDLength))
	}
	for _, msg := range utilvalidation.IsCIdentifier(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

// qualifiedAttributeName is a C identifier, optionally prefixed by a
// driver domain and a slash.
func qualifiedAttributeName(v string, p *field.Path) field.ErrorList {
	if strings.Contains(v, "/") {
		return fullyQualifiedName(v, p)
	}
	return cIdentifier(v, p)
}

var deviceTaintEffects = []resourcev1.DeviceTaintEffect{resourcev1.DeviceTaintEffectNoSchedule,
	resourcev1.DeviceTaintEffectNoExecute, resourcev1.DeviceTaintEffectNone}

func validateDeviceToleration(t *resourcev1.DeviceToleration, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if t.Key != "" {
		errs = append(errs, metav1validation.ValidateLabelName(t.Key, p.Child("key"))...)
	}
	switch t.Operator {
	case resourcev1.DeviceTolerationOpExists:
		if t.Value != "" {
			errs = append(errs, field.Invalid(p.Child("value"), t.Value, "must be empty for operator `Exists`"))
		}
	case resourcev1.DeviceTolerationOpEqual:
		errs = append(errs, labelValue(t.Value, p.Child("value"))...)
	default:
		errs = append(errs, enum(t.Operator, p.Child("operator"), resourcev1.DeviceTolerationOpEqual, resourcev1.DeviceTolerationOpExists)...)
	}
	return append(errs, optionalEnum(t.Effect, p.Child("effect"), deviceTaintEffects...)...)
}

func labelValue(v string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range utilvalidation.IsValidLabelValue(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

// validateResourceClaimStatus: consumers need an allocation, are unique by
// uid and, once the claim is being deleted, may only go; an allocation,
// once made, never changes.
func validateResourceClaimStatus(c, old *resourcev1.ResourceClaim) field.ErrorList {
	p := field.NewPath("status")
	s, os := &c.Status, &old.Status
	rp := p.Child("reservedFor")
	errs := tooMany(len(s.ReservedFor), resourcev1.ResourceClaimReservedForMaxSize, rp)
	oldUIDs, seen := sets.New[string](), sets.New[string]()
	for _, r := range os.ReservedFor {
		oldUIDs.Insert(string(r.UID))
	}
	for i, r := range s.ReservedFor {
		ip := rp.Index(i)
		for name, v := range map[string]string{"resource": r.Resource, "name": r.Name, "uid": string(r.UID)} {
			if v == "" {
				errs = append(errs, field.Required(ip.Child(name), ""))
			}
		}
		if seen.Has(string(r.UID)) {
			errs = append(errs, field.Duplicate(ip, r.UID))
		}
		seen.Insert(string(r.UID))
		if c.DeletionTimestamp != nil && !oldUIDs.Has(string(r.UID)) {
			errs = append(errs, field.Forbidden(rp, "new entries may not be added while `deallocationRequested` or `deletionTimestamp` are set"))
		}
	}
	if len(s.ReservedFor) > 0 && s.Allocation == nil {
		errs = append(errs, field.Forbidden(rp, "may not be specified when `allocated` is not set"))
	}
	ap := p.Child("allocation")
	switch {
	case s.Allocation != nil && os.Allocation != nil:
		errs = append(errs, immutable(s.Allocation, os.Allocation, ap)...)
	case s.Allocation != nil:
		errs = append(errs, validateAllocation(s.Allocation, requestNamesOf(&c.Spec.Devices), ap)...)
	}
	return errs
}

func validateAllocation(a *resourcev1.AllocationResult, names requestNames, p *field.Path) field.ErrorList {
	rp := p.Child("devices", "results")
	errs := tooMany(len(a.Devices.Results), resourcev1.AllocationResultsMaxSize, rp)
	for i, r := range a.Devices.Results {
		ip := rp.Index(i)
		errs = append(errs, names.ref(r.Request, ip.Child("request"))...)
		errs = append(errs, csiDriverName(r.Driver, ip.Child("driver"))...)
		errs = append(errs, validatePoolName(r.Pool, ip.Child("pool"))...)
		errs = append(errs, dnsLabel(r.Device, ip.Child("device"))...)
		for j, t := range r.Tolerations {
			errs = append(errs, validateDeviceToleration(&t, ip.Child("tolerations").Index(j))...)
		}
	}
	cp := p.Child("devices", "config")
	for i, c := range a.Devices.Config {
		ip := cp.Index(i)
		errs = append(errs, enum(c.Source, ip.Child("source"), resourcev1.AllocationConfigSourceClass, resourcev1.AllocationConfigSourceClaim)...)
		errs = append(errs, names.refs(c.Requests, ip.Child("requests"))...)
		errs = append(errs, validateDeviceConfiguration(&c.DeviceConfiguration, ip)...)
	}
	if a.NodeSelector != nil {
		errs = append(errs, validateNodeSelector(a.NodeSelector, p.Child("nodeSelector"))...)
	}
	return errs
}

// validateNodeSelector checks the terms of a node selector: at least one,
// each requirement with a label key, a known operator and the values that
// operator takes.
func validateNodeSelector(s *corev1.NodeSelector, p *field.Path) field.ErrorList {
	tp := p.Child("nodeSelectorTerms")
	if len(s.NodeSelectorTerms) == 0 {
		return field.ErrorList{field.Required(tp, "must have at least one node selector term")}
	}
	var errs field.ErrorList
	for i, t := range s.NodeSelectorTerms {
		for j, r := range t.MatchExpressions {
			rp := tp.Index(i).Child("matchExpressions").Index(j)
			errs = append(errs, metav1validation.ValidateLabelName(r.Key, rp.Child("key"))...)
			vp := rp.Child("values")
			switch r.Operator {
			case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn:
				if len(r.Values) == 0 {
					errs = append(errs, field.Required(vp, "must be specified when `operator` is 'In' or 'NotIn'"))
				}
			case corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist:
				if len(r.Values) > 0 {
					errs = append(errs, field.Forbidden(vp, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
				}
			case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
				if len(r.Values) != 1 {
					errs = append(errs, field.Required(vp, "must be specified single value when `operator` is 'Lt' or 'Gt'"))
				}
			default:
				errs = append(errs, field.Invalid(rp.Child("operator"), r.Operator, "not a valid selector operator"))
			}
		}
		for j, r := range t.MatchFields {
			rp := tp.Index(i).Child("matchFields").Index(j)
			if r.Key != "metadata.name" {
				errs = append(errs, field.Invalid(rp.Child("key"), r.Key, "not a valid field selector key"))
			}
			if (r.Operator != corev1.NodeSelectorOpIn && r.Operator != corev1.NodeSelectorOpNotIn) || len(r.Values) != 1 {
				errs = append(errs, field.Invalid(rp, r.Operator, "must be 'In' or 'NotIn' with exactly one value"))
			}
		}
	}
	return errs
}

// ResourceSlice.

func validateResourceSliceSpec(s, old *resourcev1.ResourceSliceSpec, p *field.Path) field.ErrorList {
	errs := csiDriverName(s.Driver, p.Child("driver"))
	pp := p.Child("pool")
	errs = append(errs, validatePoolName(s.Pool.Name, pp.Child("name"))...)
	if s.Pool.ResourceSliceCount <= 0 {
		errs = append(errs, field.Invalid(pp.Child("resourceSliceCount"), s.Pool.ResourceSliceCount, "must be greater than zero"))
	}
	errs = append(errs, nonNegative(s.Pool.Generation, pp.Child("generation"))...)
	if old != nil {
		errs = append(errs, immutable(s.Pool.Name, old.Pool.Name, pp.Child("name"))...)
		errs = append(errs, immutable(s.Driver, old.Driver, p.Child("driver"))...)
		errs = append(errs, immutable(s.NodeName, old.NodeName, p.Child("nodeName"))...)
	}

	// Exactly one way of saying which nodes reach the devices.
	var set []string
	if s.NodeName != nil {
		if *s.NodeName == "" {
			errs = append(errs, field.Invalid(p.Child("nodeName"), "", "must be either unset or set to a non-empty string"))
		} else {
			set = append(set, "`nodeName`")
			errs = append(errs, dnsSubdomain(*s.NodeName, p.Child("nodeName"))...)
		}
	}
	if s.NodeSelector != nil {
		set = append(set, "`nodeSelector`")
		errs = append(errs, validateNodeSelector(s.NodeSelector, p.Child("nodeSelector"))...)
		if len(s.NodeSelector.NodeSelectorTerms) != 1 {
			errs = append(errs, field.Invalid(p.Child("nodeSelector", "nodeSelectorTerms"), len(s.NodeSelector.NodeSelectorTerms),
				"must have exactly one node selector term"))
		}
	}
	for _, b := range []struct {
		v    *bool
		name string
	}{{s.AllNodes, "allNodes"}, {s.PerDeviceNodeSelection, "perDeviceNodeSelection"}} {
		if b.v == nil {
			continue
		}
		if !*b.v {
			errs = append(errs, field.Invalid(p.Child(b.name), false, "must be either unset or set to true"))
			continue
		}
		set = append(set, "`"+b.name+"`")
	}
	const oneOf = "exactly one of `nodeName`, `nodeSelector`, `allNodes`, `perDeviceNodeSelection` is required"
	switch len(set) {
	case 0:
		errs = append(errs, field.Required(p, oneOf))
	case 1:
	default:
		errs = append(errs, field.Invalid(p, "{"+strings.Join(set, ", ")+"}", oneOf+", but multiple fields are set"))
	}

	if s.SharedCounters != nil && s.Devices != nil {
		errs = append(errs, field.Invalid(p, "", "only one of `sharedCounters` or `devices` is allowed"))
	}
	errs = append(errs, tooMany(len(s.SharedCounters), resourcev1.ResourceSliceMaxCounterSets, p.Child("sharedCounters"))...)
	for i, c := range s.SharedCounters {
		cp := p.Child("sharedCounters").Index(i)
		errs = append(errs, requiredDNSLabel(c.Name, cp.Child("name"))...)
		if len(c.Counters) == 0 {
			errs = append(errs, field.Required(cp.Child("counters"), ""))
		}
	}
	dp := p.Child("devices")
	errs = append(errs, tooMany(len(s.Devices), resourcev1.ResourceSliceMaxDevices, dp)...)
	seen := sets.New[string]()
	perDevice := s.PerDeviceNodeSelection != nil && *s.PerDeviceNodeSelection
	for i, d := range s.Devices {
		ip := dp.Index(i)
		if seen.Has(d.Name) {
			errs = append(errs, field.Duplicate(ip.Child("name"), d.Name))
		}
		seen.Insert(d.Name)
		errs = append(errs, validateDevice(&d, perDevice, ip)...)
	}
	return errs
}

func requiredDNSLabel(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	return dnsLabel(v, p)
}

func validateDevice(d *resourcev1.Device, perDevice bool, p *field.Path) field.ErrorList {
	errs := requiredDNSLabel(d.Name, p.Child("name"))
	if n := len(d.Attributes) + len(d.Capacity); n > resourcev1.ResourceSliceMaxAttributesAndCapacitiesPerDevice {
		errs = append(errs, field.Invalid(p, n, fmt.Sprintf("the total number of attributes and capacities must not exceed %d",
			resourcev1.ResourceSliceMaxAttributesAndCapacitiesPerDevice)))
	}
	for name, a := range d.Attributes {
		ap := p.Child("attributes").Key(string(name))
		errs = append(errs, qualifiedAttributeName(string(name), ap)...)
		n := 0
		for _, set := range []bool{a.BoolValue != nil, a.IntValue != nil, a.StringValue != nil, a.VersionValue != nil,
			a.BoolValues != nil, a.IntValues != nil, a.StringValues != nil, a.VersionValues != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			errs = append(errs, field.Invalid(ap, "", "exactly one value must be specified"))
		}
		if a.StringValue != nil && len(*a.StringValue) > resourcev1.DeviceAttributeMaxValueLength {
			errs = append(errs, field.TooLong(ap.Child("string"), "", resourcev1.DeviceAttributeMaxValueLength))
		}
	}
	for name := range d.Capacity {
		errs = append(errs, qualifiedAttributeName(string(name), p.Child("capacity").Key(string(name)))...)
	}
	tp := p.Child("taints")
	errs = append(errs, tooMany(len(d.Taints), resourcev1.DeviceTaintsMaxLength, tp)...)
	for i, t := range d.Taints {
		errs = append(errs, validateDeviceTaint(&t, nil, tp.Index(i))...)
	}
	var set []string
	if d.NodeName != nil {
		set = append(set, "`nodeName`")
		if *d.NodeName == "" {
			errs = append(errs, field.Invalid(p.Child("nodeName"), "", "must not be empty"))
		}
	}
	if d.NodeSelector != nil {
		set = append(set, "`nodeSelector`")
		errs = append(errs, validateNodeSelector(d.NodeSelector, p.Child("nodeSelector"))...)
	}
	if d.AllNodes != nil {
		set = append(set, "`allNodes`")
		if !*d.AllNodes {
			errs = append(errs, field.Invalid(p.Child("allNodes"), false, "must be either unset or set to true"))
		}
	}
	switch {
	case !perDevice && len(set) > 0:
		errs = append(errs, field.Invalid(p, nil, "`nodeName`, `nodeSelector` and `allNodes` can only be set if `perDeviceNodeSelection` is set to true in the ResourceSlice spec"))
	case perDevice && len(set) != 1:
		errs = append(errs, field.Invalid(p, "{"+strings.Join(set, ", ")+"}",
			"exactly one of `nodeName`, `nodeSelector`, or `allNodes` is required when `perDeviceNodeSelection` is set to true in the ResourceSlice spec"))
	}
	return errs
}

// DeviceTaintRule.

func validateDeviceTaintRuleSpec(s, old *resourcev1.DeviceTaintRuleSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if sel := s.DeviceSelector; sel != nil {
		sp := p.Child("deviceSelector")
		if sel.Driver != nil {
			errs = append(errs, csiDriverName(*sel.Driver, sp.Child("driver"))...)
		}
		if sel.Pool != nil {
			errs = append(errs, validatePoolName(*sel.Pool, sp.Child("pool"))...)
		}
		if sel.Device != nil {
			errs = append(errs, dnsLabel(*sel.Device, sp.Child("device"))...)
		}
	}
	var oldTaint *resourcev1.DeviceTaint
	if old != nil {
		oldTaint = &old.Taint
	}
	return append(errs, validateDeviceTaint(&s.Taint, oldTaint, p.Child("taint"))...)
}

// validateDeviceTaint: a label key, an optional label value and an effect,
// checked only when new or changed (a stored effect stays valid).
func validateDeviceTaint(t, old *resourcev1.DeviceTaint, p *field.Path) field.ErrorList {
	errs := metav1validation.ValidateLabelName(t.Key, p.Child("key"))
	if t.Value != "" {
		errs = append(errs, labelValue(t.Value, p.Child("value"))...)
	}
	if old == nil || old.Effect != t.Effect {
		errs = append(errs, enum(t.Effect, p.Child("effect"), deviceTaintEffects...)...)
	}
	return errs
}
