package convert

import (
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func qty(s string) *resource.Quantity { q := resource.MustParse(s); return &q }

// TestHPARoundTrip: a v2 HorizontalPodAutoscaler read and written back at
// v1 comes back whole (every metric kind, the behavior, the conditions),
// and keeps its own annotations.
func TestHPARoundTrip(t *testing.T) {
	pct := int32(60)
	window := int32(30)
	id := autoscalingv2.MetricIdentifier{Name: "qps", Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}}
	in := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", Annotations: map[string]string{"mine": "kept"}},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas:    new(int32(2)), MaxReplicas: 9,
			Metrics: []autoscalingv2.MetricSpec{
				{Type: autoscalingv2.ObjectMetricSourceType, Object: &autoscalingv2.ObjectMetricSource{
					DescribedObject: autoscalingv2.CrossVersionObjectReference{Kind: "Ingress", Name: "main"}, Metric: id,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: qty("10")}}},
				{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{Metric: id,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: qty("1k")}}},
				{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceMemory,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: qty("1Gi")}}},
				{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{
					Name: corev1.ResourceCPU, Container: "app", Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &pct}}},
				{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{Metric: id,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: qty("5")}}},
				cpuUtilization(70),
			},
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: &window}},
		},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 3, DesiredReplicas: 4,
			Conditions: []autoscalingv2.HorizontalPodAutoscalerCondition{{Type: autoscalingv2.AbleToScale, Status: corev1.ConditionTrue,
				Reason: "ReadyForNewScale", LastTransitionTime: metav1.NewTime(time.Unix(1700000000, 0))}}},
	}
	v1 := &autoscalingv1.HorizontalPodAutoscaler{}
	if err := HPAToV1(in, v1); err != nil {
		t.Fatal(err)
	}
	if p := v1.Spec.TargetCPUUtilizationPercentage; p == nil || *p != 70 {
		t.Errorf("targetCPUUtilizationPercentage %v", p)
	}
	if len(v1.Annotations) != 4 || v1.Annotations["mine"] != "kept" {
		t.Errorf("v1 annotations %v", v1.Annotations)
	}
	back := &autoscalingv2.HorizontalPodAutoscaler{}
	HPAToV2(v1, back)
	if !equality.Semantic.DeepEqual(in.Spec, back.Spec) || !equality.Semantic.DeepEqual(in.Status.Conditions, back.Status.Conditions) ||
		back.Annotations["mine"] != "kept" || len(back.Annotations) != 1 {
		t.Errorf("round trip:\n in  %+v\n out %+v\n annotations %v", in.Spec, back.Spec, back.Annotations)
	}
}

// TestHPAToV2Default: a v1 object without a target gets v1's implicit
// 80% cpu utilization.
func TestHPAToV2Default(t *testing.T) {
	out := &autoscalingv2.HorizontalPodAutoscaler{}
	HPAToV2(&autoscalingv1.HorizontalPodAutoscaler{Spec: autoscalingv1.HorizontalPodAutoscalerSpec{MaxReplicas: 2}}, out)
	if len(out.Spec.Metrics) != 1 || !isCPUUtilization(out.Spec.Metrics[0]) || *out.Spec.Metrics[0].Resource.Target.AverageUtilization != 80 {
		t.Errorf("metrics %+v", out.Spec.Metrics)
	}
}

// TestEventRoundTrip: every field survives core → events.k8s.io → core.
func TestEventRoundTrip(t *testing.T) {
	now := metav1.NewTime(time.Unix(1700000000, 0))
	in := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e", Namespace: "default"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web"}, Reason: "Started", Message: "hi",
		Source: corev1.EventSource{Component: "kubelet", Host: "n1"}, FirstTimestamp: now, LastTimestamp: now, Count: 2,
		Type: "Normal", EventTime: metav1.NewMicroTime(now.Time), Series: &corev1.EventSeries{Count: 3, LastObservedTime: metav1.NewMicroTime(now.Time)},
		Action: "Start", Related: &corev1.ObjectReference{Kind: "Node", Name: "n1"}, ReportingController: "kubelet", ReportingInstance: "n1"}
	mid := &eventsv1.Event{}
	EventToEventsV1(in, mid)
	if mid.Note != "hi" || mid.Regarding.Name != "web" || mid.DeprecatedCount != 2 || mid.DeprecatedSource.Host != "n1" {
		t.Errorf("events.k8s.io form %+v", mid)
	}
	out := &corev1.Event{}
	EventToCoreV1(mid, out)
	if !equality.Semantic.DeepEqual(in, out) {
		t.Errorf("round trip:\n in  %+v\n out %+v", in, out)
	}
}
