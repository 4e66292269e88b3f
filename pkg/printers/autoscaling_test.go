package printers

import (
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestHPATargets(t *testing.T) {
	q := func(s string) *resource.Quantity { v := resource.MustParse(s); return &v }
	cpu := autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: "cpu", Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: new(int32(80))}}}
	cpuNow := autoscalingv2.MetricStatus{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{
		Name: "cpu", Current: autoscalingv2.MetricValueStatus{AverageUtilization: new(int32(40))}}}
	pods := autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: q("1k")}}}
	external := autoscalingv2.MetricSpec{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: q("30")}}}
	object := autoscalingv2.MetricSpec{Type: autoscalingv2.ObjectMetricSourceType, Object: &autoscalingv2.ObjectMetricSource{
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: q("5")}}}
	cases := []struct {
		name     string
		specs    []autoscalingv2.MetricSpec
		statuses []autoscalingv2.MetricStatus
		want     string
	}{
		{"none", nil, nil, "<none>"},
		{"not reported yet", []autoscalingv2.MetricSpec{cpu}, nil, "cpu: <unknown>/80%"},
		{"reported", []autoscalingv2.MetricSpec{cpu}, []autoscalingv2.MetricStatus{cpuNow}, "cpu: 40%/80%"},
		{"two", []autoscalingv2.MetricSpec{pods, external}, nil, "<unknown>/1k, <unknown>/30"},
		{"more than two", []autoscalingv2.MetricSpec{cpu, object, pods, external}, []autoscalingv2.MetricStatus{cpuNow},
			"cpu: 40%/80%, <unknown>/5 (avg) + 2 more..."},
	}
	for _, tc := range cases {
		if got := hpaTargets(tc.specs, tc.statuses); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
