package defaults

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
)

// horizontalPodAutoscaler applies upstream's autoscaling/v2 defaults:
// minReplicas 1, an 80% average CPU utilization target when no metric is
// given, and, when a behavior is given, every unset field of both its
// scaling rules.
func horizontalPodAutoscaler(h *autoscalingv2.HorizontalPodAutoscaler) {
	if h.Spec.MinReplicas == nil {
		h.Spec.MinReplicas = new(int32(1))
	}
	if len(h.Spec.Metrics) == 0 {
		h.Spec.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{
				Type: autoscalingv2.UtilizationMetricType, AverageUtilization: new(int32(80))}}}}
	}
	if b := h.Spec.Behavior; b != nil {
		// Scale up: at most 4 pods or 100% per 15s, no stabilization
		// window. Scale down: 100% per 15s; the window stays unset (the
		// controller's flag decides it).
		b.ScaleUp = fillScalingRules(b.ScaleUp, autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: new(int32(0)),
			Policies: []autoscalingv2.HPAScalingPolicy{
				{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
				{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}})
		b.ScaleDown = fillScalingRules(b.ScaleDown, autoscalingv2.HPAScalingRules{
			Policies: []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}})
	}
}

// fillScalingRules returns r with its unset fields taken from def (select
// policy Max in both directions).
func fillScalingRules(r *autoscalingv2.HPAScalingRules, def autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	out := def
	out.SelectPolicy = new(autoscalingv2.MaxChangePolicySelect)
	if r == nil {
		return &out
	}
	if r.SelectPolicy != nil {
		out.SelectPolicy = r.SelectPolicy
	}
	if r.StabilizationWindowSeconds != nil {
		out.StabilizationWindowSeconds = r.StabilizationWindowSeconds
	}
	if r.Policies != nil {
		out.Policies = r.Policies
	}
	if r.Tolerance != nil {
		out.Tolerance = r.Tolerance
	}
	return &out
}
