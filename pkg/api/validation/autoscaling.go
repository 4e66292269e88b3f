package validation

import (
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateHorizontalPodAutoscaler checks what upstream checks of an
// autoscaling/v2 HPA: the target reference, the replica bounds, each
// metric (one source matching its type, a sensible target) and the
// scaling behavior.
func validateHorizontalPodAutoscaler(h *autoscalingv2.HorizontalPodAutoscaler) field.ErrorList {
	return append(objectMeta(&h.ObjectMeta, true, nameIsDNSSubdomain), hpaSpec(h)...)
}

func validateHorizontalPodAutoscalerUpdate(h, old *autoscalingv2.HorizontalPodAutoscaler) field.ErrorList {
	return withMetaUpdate(&h.ObjectMeta, &old.ObjectMeta, hpaSpec(h))
}

func hpaSpec(h *autoscalingv2.HorizontalPodAutoscaler) field.ErrorList {
	sp := field.NewPath("spec")
	var errs field.ErrorList
	errs = append(errs, targetReference(h.Spec.ScaleTargetRef, sp.Child("scaleTargetRef"))...)
	if h.Spec.MinReplicas != nil && *h.Spec.MinReplicas < 1 {
		errs = append(errs, field.Invalid(sp.Child("minReplicas"), *h.Spec.MinReplicas, "must be greater than or equal to 1"))
	}
	switch {
	case h.Spec.MaxReplicas == 0:
		errs = append(errs, field.Required(sp.Child("maxReplicas"), "must be set and greater than 0"))
	case h.Spec.MaxReplicas < 1:
		errs = append(errs, field.Invalid(sp.Child("maxReplicas"), h.Spec.MaxReplicas, "must be greater than or equal to 1"))
	case h.Spec.MinReplicas != nil && h.Spec.MaxReplicas < *h.Spec.MinReplicas:
		errs = append(errs, field.Invalid(sp.Child("maxReplicas"), h.Spec.MaxReplicas, "must be greater than or equal to `minReplicas`"))
	}
	for i, m := range h.Spec.Metrics {
		errs = append(errs, metricSpec(m, sp.Child("metrics").Index(i))...)
	}
	if b := h.Spec.Behavior; b != nil {
		errs = append(errs, scalingRules(b.ScaleUp, sp.Child("behavior", "scaleUp"))...)
		errs = append(errs, scalingRules(b.ScaleDown, sp.Child("behavior", "scaleDown"))...)
	}
	return errs
}

func targetReference(ref autoscalingv2.CrossVersionObjectReference, p *field.Path) field.ErrorList {
	return append(pathSegment(ref.Kind, p.Child("kind")), pathSegment(ref.Name, p.Child("name"))...)
}

// metricSpec checks that exactly the source named by the type is set and
// that its target is complete.
func metricSpec(m autoscalingv2.MetricSpec, p *field.Path) field.ErrorList {
	sources := map[autoscalingv2.MetricSourceType]bool{
		autoscalingv2.ObjectMetricSourceType:            m.Object != nil,
		autoscalingv2.PodsMetricSourceType:              m.Pods != nil,
		autoscalingv2.ResourceMetricSourceType:          m.Resource != nil,
		autoscalingv2.ContainerResourceMetricSourceType: m.ContainerResource != nil,
		autoscalingv2.ExternalMetricSourceType:          m.External != nil,
	}
	var errs field.ErrorList
	set, known := sources[m.Type]
	switch {
	case m.Type == "":
		return append(errs, field.Required(p.Child("type"), "must specify a metric source type"))
	case !known:
		return append(errs, field.NotSupported(p.Child("type"), m.Type, []string{"ContainerResource", "External", "Object", "Pods", "Resource"}))
	case !set:
		errs = append(errs, field.Required(p.Child(lowerFirst(string(m.Type))), "must populate information for the given metric source"))
	}
	for typ, isSet := range sources {
		if isSet && typ != m.Type {
			errs = append(errs, field.Forbidden(p.Child(lowerFirst(string(typ))), "must populate the given metric source only"))
		}
	}
	switch {
	case m.Resource != nil:
		src := p.Child("resource")
		if m.Resource.Name == "" {
			errs = append(errs, field.Required(src.Child("name"), "must specify a resource name"))
		}
		errs = append(errs, metricTarget(m.Resource.Target, src.Child("target"))...)
	case m.ContainerResource != nil:
		src := p.Child("containerResource")
		if m.ContainerResource.Name == "" {
			errs = append(errs, field.Required(src.Child("name"), "must specify a resource name"))
		}
		if m.ContainerResource.Container == "" {
			errs = append(errs, field.Required(src.Child("container"), "must specify a container"))
		}
		errs = append(errs, metricTarget(m.ContainerResource.Target, src.Child("target"))...)
	case m.Pods != nil:
		errs = append(errs, metricTarget(m.Pods.Target, p.Child("pods", "target"))...)
	case m.Object != nil:
		errs = append(errs, targetReference(m.Object.DescribedObject, p.Child("object", "describedObject"))...)
		errs = append(errs, metricTarget(m.Object.Target, p.Child("object", "target"))...)
	case m.External != nil:
		errs = append(errs, metricTarget(m.External.Target, p.Child("external", "target"))...)
	}
	return errs
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

// metricTarget checks the target's type and that the value it names is
// set and positive.
func metricTarget(t autoscalingv2.MetricTarget, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch t.Type {
	case "":
		errs = append(errs, field.Required(p.Child("type"), "must specify a metric target type"))
	case autoscalingv2.UtilizationMetricType, autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType:
	default:
		errs = append(errs, field.Invalid(p.Child("type"), t.Type, "must be either Utilization, Value, or AverageValue"))
	}
	if t.Value != nil && t.Value.Sign() <= 0 {
		errs = append(errs, field.Invalid(p.Child("value"), t.Value, "must be positive"))
	}
	if t.AverageValue != nil && t.AverageValue.Sign() <= 0 {
		errs = append(errs, field.Invalid(p.Child("averageValue"), t.AverageValue, "must be positive"))
	}
	if t.AverageUtilization != nil && *t.AverageUtilization < 1 {
		errs = append(errs, field.Invalid(p.Child("averageUtilization"), t.AverageUtilization, "must be greater than 0"))
	}
	return errs
}

// scalingRules checks a defaulted behavior's rules: a window of at most
// an hour, a known select policy, and at least one well-formed policy.
func scalingRules(r *autoscalingv2.HPAScalingRules, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if r == nil {
		return errs
	}
	if w := r.StabilizationWindowSeconds; w != nil && (*w < 0 || *w > 3600) {
		errs = append(errs, field.Invalid(p.Child("stabilizationWindowSeconds"), *w, "must be between 0 and 3600"))
	}
	if r.SelectPolicy != nil {
		errs = append(errs, enum(*r.SelectPolicy, p.Child("selectPolicy"),
			autoscalingv2.MaxChangePolicySelect, autoscalingv2.MinChangePolicySelect, autoscalingv2.DisabledPolicySelect)...)
	}
	if len(r.Policies) == 0 {
		errs = append(errs, field.Required(p.Child("policies"), "must specify at least one Policy"))
	}
	for i, pol := range r.Policies {
		pp := p.Child("policies").Index(i)
		errs = append(errs, enum(pol.Type, pp.Child("type"), autoscalingv2.PodsScalingPolicy, autoscalingv2.PercentScalingPolicy)...)
		if pol.Value <= 0 {
			errs = append(errs, field.Invalid(pp.Child("value"), pol.Value, "must be greater than zero"))
		}
		if pol.PeriodSeconds <= 0 || pol.PeriodSeconds > 1800 {
			errs = append(errs, field.Invalid(pp.Child("periodSeconds"), pol.PeriodSeconds, "must be greater than zero and less than or equal to 1800"))
		}
	}
	return errs
}
