package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestHorizontalPodAutoscalersV1: autoscaling/v1 serves the same
// HorizontalPodAutoscalers as v2 (preferred), converted as upstream: the
// cpu utilization target is targetCPUUtilizationPercentage, other
// metrics and the behavior travel in annotations and survive a v1
// update; a v1 object without a target gets v1's implicit 80%.
func TestHorizontalPodAutoscalersV1(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	v1 := s.Client.AutoscalingV1().HorizontalPodAutoscalers("default")
	v2 := s.Client.AutoscalingV2().HorizontalPodAutoscalers("default")

	groups, err := s.Client.Discovery().ServerGroups()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups.Groups {
		if g.Name == "autoscaling" {
			if got := fmt.Sprint(g.PreferredVersion.Version, g.Versions); got != "v2[{autoscaling/v2 v2} {autoscaling/v1 v1}]" {
				t.Errorf("autoscaling group %s", got)
			}
		}
	}

	ref := autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}
	memory := autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceMemory, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: new(resource.MustParse("500Mi"))}}}
	_, err = v2.Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: ref, MaxReplicas: 5, Metrics: []autoscalingv2.MetricSpec{
			memory, {Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: new(int32(50))}}}},
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: new(int32(60))}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v1.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p := got.Spec.TargetCPUUtilizationPercentage; p == nil || *p != 50 || got.Spec.MaxReplicas != 5 || *got.Spec.MinReplicas != 1 ||
		!strings.Contains(got.Annotations["autoscaling.alpha.kubernetes.io/metrics"], `"name":"memory"`) ||
		!strings.Contains(got.Annotations["autoscaling.alpha.kubernetes.io/behavior"], `"stabilizationWindowSeconds":60`) {
		t.Errorf("v1 form: spec %+v, annotations %v", got.Spec, got.Annotations)
	}

	// A v1 read-modify-write keeps what v1 cannot express.
	got.Spec.MaxReplicas = 7
	if _, err := v1.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	back, err := v2.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if back.Spec.MaxReplicas != 7 || len(back.Spec.Metrics) != 2 || back.Spec.Metrics[0].Resource.Name != corev1.ResourceMemory ||
		back.Spec.Behavior == nil || *back.Spec.Behavior.ScaleDown.StabilizationWindowSeconds != 60 || len(back.Annotations) != 0 {
		t.Errorf("v2 after a v1 update: spec %+v, annotations %v", back.Spec, back.Annotations)
	}

	// Status written at v1 reads as the cpu metric at v2.
	got, err = v1.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got.Status.CurrentReplicas, got.Status.CurrentCPUUtilizationPercentage = 2, new(int32(40))
	if _, err := v1.UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	back, err = v2.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if back.Status.CurrentReplicas != 2 || len(back.Status.CurrentMetrics) != 1 || *back.Status.CurrentMetrics[0].Resource.Current.AverageUtilization != 40 {
		t.Errorf("v2 status %+v", back.Status)
	}

	// Created at v1 without a target: v1's implicit 80%.
	_, err = v1.Create(ctx, &autoscalingv1.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "plain"},
		Spec: autoscalingv1.HorizontalPodAutoscalerSpec{ScaleTargetRef: autoscalingv1.CrossVersionObjectReference(ref), MaxReplicas: 3}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := v2.Get(ctx, "plain", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.Spec.Metrics) != 1 || *plain.Spec.Metrics[0].Resource.Target.AverageUtilization != 80 {
		t.Errorf("v1 create without target, at v2: %+v", plain.Spec.Metrics)
	}
	list, err := v1.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 {
		t.Errorf("v1 list has %d items", len(list.Items))
	}

	// Validation is v2's.
	_, err = v1.Create(ctx, &autoscalingv1.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "bad"},
		Spec: autoscalingv1.HorizontalPodAutoscalerSpec{ScaleTargetRef: autoscalingv1.CrossVersionObjectReference(ref), MaxReplicas: 0}},
		metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !hasCause(err, "spec.maxReplicas") {
		t.Errorf("maxReplicas 0 at v1: %v", err)
	}

	table := getTable(t, s, "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/plain")
	if fmt.Sprint(columnNames(table)) != "[Name Reference Targets MinPods MaxPods Replicas Age]" || len(table.Rows) != 1 ||
		fmt.Sprint(table.Rows[0].Cells[:6]) != "[plain Deployment/web cpu: <unknown>/80% 1 3 0]" {
		t.Errorf("v1 table %v %v", columnNames(table), table.Rows)
	}

	// Watch (served from the watch cache) and patches at v1 convert too:
	// a v2 write is seen by a v1 watcher in v1's form, and a v1 merge
	// patch of the cpu target is the cpu metric at v2.
	w, err := v1.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	web, err := v2.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	web.Spec.MaxReplicas = 9
	if _, err := v2.Update(ctx, web, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-w.ResultChan():
		h, ok := ev.Object.(*autoscalingv1.HorizontalPodAutoscaler)
		if ev.Type != watch.Modified || !ok || h.Name != "web" || h.Spec.MaxReplicas != 9 || h.Spec.TargetCPUUtilizationPercentage == nil ||
			!strings.Contains(h.Annotations["autoscaling.alpha.kubernetes.io/metrics"], `"name":"memory"`) {
			t.Errorf("v1 watch event %s %#v", ev.Type, ev.Object)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no v1 watch event for a v2 update")
	}
	if _, err := v1.Patch(ctx, "plain", types.MergePatchType, []byte(`{"spec":{"targetCPUUtilizationPercentage":65}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	plain, err = v2.Get(ctx, "plain", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.Spec.Metrics) != 1 || *plain.Spec.Metrics[0].Resource.Target.AverageUtilization != 65 {
		t.Errorf("v1 merge patch, at v2: %+v", plain.Spec.Metrics)
	}
	if err := v1.Delete(ctx, "plain", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Get(ctx, "plain", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("deleted at v1, get at v2: %v", err)
	}
}
