package integration

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestHorizontalPodAutoscalers: autoscaling/v2 HPAs through the typed
// client — discovery, upstream's defaults, validation, status, update,
// the Table columns, delete.
func TestHorizontalPodAutoscalers(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := t.Context()

	rl, err := s.Client.Discovery().ServerResourcesForGroupVersion("autoscaling/v2")
	if err != nil {
		t.Fatalf("discovery of autoscaling/v2: %v", err)
	}
	var res *metav1.APIResource
	for i := range rl.APIResources {
		if rl.APIResources[i].Name == "horizontalpodautoscalers" {
			res = &rl.APIResources[i]
		}
	}
	if res == nil || !res.Namespaced || !slices.Equal(res.ShortNames, []string{"hpa"}) || !slices.Equal(res.Categories, []string{"all"}) {
		t.Fatalf("horizontalpodautoscalers in discovery = %+v", res)
	}

	hpas := s.Client.AutoscalingV2().HorizontalPodAutoscalers("default")
	h, err := hpas.Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 5,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{
				StabilizationWindowSeconds: new(int32(60))}}},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 9},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	// Defaults: minReplicas 1, cpu at 80%, both scaling rules filled.
	m := h.Spec.Metrics
	up, down := h.Spec.Behavior.ScaleUp, h.Spec.Behavior.ScaleDown
	switch {
	case h.Spec.MinReplicas == nil || *h.Spec.MinReplicas != 1:
		t.Errorf("minReplicas = %v, want 1", h.Spec.MinReplicas)
	case len(m) != 1 || m[0].Resource == nil || m[0].Resource.Name != "cpu" || *m[0].Resource.Target.AverageUtilization != 80:
		t.Errorf("metrics = %+v, want cpu at 80%%", m)
	case up == nil || len(up.Policies) != 2 || *up.StabilizationWindowSeconds != 0 || *up.SelectPolicy != autoscalingv2.MaxChangePolicySelect:
		t.Errorf("scaleUp = %+v", up)
	case len(down.Policies) != 1 || *down.StabilizationWindowSeconds != 60 || *down.SelectPolicy != autoscalingv2.MaxChangePolicySelect:
		t.Errorf("scaleDown = %+v", down)
	case h.Status.CurrentReplicas != 0:
		t.Errorf("status on create = %+v, want it dropped", h.Status)
	}

	// Status is written through /status only.
	h.Status.CurrentReplicas, h.Status.DesiredReplicas = 2, 3
	h, err = hpas.UpdateStatus(ctx, h, metav1.UpdateOptions{})
	if err != nil || h.Status.CurrentReplicas != 2 {
		t.Fatalf("update status: %v, %+v", err, h.Status)
	}
	h.Spec.MaxReplicas, h.Status.CurrentReplicas = 7, 0
	h, err = hpas.Update(ctx, h, metav1.UpdateOptions{})
	if err != nil || h.Spec.MaxReplicas != 7 || h.Status.CurrentReplicas != 2 {
		t.Fatalf("update: %v, %+v", err, h)
	}

	bad := []struct {
		name  string
		spec  autoscalingv2.HorizontalPodAutoscalerSpec
		field string
	}{
		{"no target kind", autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 1,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Name: "x"}}, "spec.scaleTargetRef.kind"},
		{"no target name", autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 1,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment"}}, "spec.scaleTargetRef.name"},
		{"no maxReplicas", autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "x"}}, "spec.maxReplicas"},
		{"max below min", autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 2, MinReplicas: new(int32(3)),
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "x"}}, "spec.maxReplicas"},
		{"metric without its source", autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 2,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "x"},
			Metrics:        []autoscalingv2.MetricSpec{{Type: autoscalingv2.PodsMetricSourceType}}}, "spec.metrics[0].pods"},
	}
	for _, tc := range bad {
		_, err := hpas.Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "bad"}, Spec: tc.spec}, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !hasCause(err, tc.field) {
			t.Errorf("%s: err = %v, want Invalid on %s", tc.name, err, tc.field)
		}
	}

	// kubectl get hpa: upstream's columns.
	cfg := rest.CopyConfig(s.RESTConfig)
	cfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	rc, err := rest.UnversionedRESTClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := rc.Get().AbsPath("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").Do(ctx).Raw()
	if err != nil {
		t.Fatal(err)
	}
	var table metav1.Table
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	var columns []string
	for _, c := range table.ColumnDefinitions {
		columns = append(columns, c.Name)
	}
	if fmt.Sprint(columns) != "[Name Reference Targets MinPods MaxPods Replicas Age]" || len(table.Rows) != 1 ||
		fmt.Sprint(table.Rows[0].Cells[:6]) != "[web Deployment/web cpu: <unknown>/80% 1 7 2]" {
		t.Errorf("table columns %v, rows %v", columns, table.Rows)
	}

	if err := hpas.Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := hpas.Get(ctx, "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get after delete: %v", err)
	}
}

// hasCause reports whether an Invalid error names field among its causes.
func hasCause(err error, field string) bool {
	st, ok := err.(apierrors.APIStatus)
	if !ok || st.Status().Details == nil {
		return false
	}
	for _, c := range st.Status().Details.Causes {
		if c.Field == field {
			return true
		}
	}
	return false
}
