package printers

import (
	"fmt"
	"strings"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/pkg/api/convert"
)

// Printers for the autoscaling group.

func addAutoscalingHandlers(g *Generator) {
	specDoc := autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()
	hpa := printerFor[*autoscalingv2.HorizontalPodAutoscaler]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Reference", "string", specDoc["scaleTargetRef"]),
			col("Targets", "string", specDoc["metrics"]),
			col("MinPods", "string", specDoc["minReplicas"]),
			col("MaxPods", "string", specDoc["maxReplicas"]),
			col("Replicas", "string", autoscalingv2.HorizontalPodAutoscalerStatus{}.SwaggerDoc()["currentReplicas"]),
			ageColumn(),
		},
		cells: func(h *autoscalingv2.HorizontalPodAutoscaler, pc *printContext) ([]interface{}, error) {
			minPods := "<unset>"
			if h.Spec.MinReplicas != nil {
				minPods = fmt.Sprint(*h.Spec.MinReplicas)
			}
			ref := h.Spec.ScaleTargetRef.Kind + "/" + h.Spec.ScaleTargetRef.Name
			return []interface{}{h.Name, ref, hpaTargets(h.Spec.Metrics, h.Status.CurrentMetrics), minPods,
				int64(h.Spec.MaxReplicas), int64(h.Status.CurrentReplicas), since(pc, h.CreationTimestamp)}, nil
		},
	}
	register(g, hpa)
	// autoscaling/v1 objects print as the v2 object they are stored as.
	register(g, printerFor[*autoscalingv1.HorizontalPodAutoscaler]{
		columns: hpa.columns,
		cells: func(h *autoscalingv1.HorizontalPodAutoscaler, pc *printContext) ([]interface{}, error) {
			v2 := &autoscalingv2.HorizontalPodAutoscaler{}
			convert.HPAToV2(h, v2)
			return hpa.cells(v2, pc)
		},
	})
}

// hpaTargets is upstream's TARGETS cell: "current/target" per metric
// ("cpu: 40%/80%", "<unknown>" until the controller reports), the first
// two only, then "+ N more...".
func hpaTargets(specs []autoscalingv2.MetricSpec, statuses []autoscalingv2.MetricStatus) string {
	if len(specs) == 0 {
		return "<none>"
	}
	var cells []string
	for i, m := range specs {
		var st *autoscalingv2.MetricStatus
		if i < len(statuses) {
			st = &statuses[i]
		}
		cells = append(cells, hpaTarget(m, st))
	}
	if len(cells) > 2 {
		return strings.Join(cells[:2], ", ") + fmt.Sprintf(" + %d more...", len(cells)-2)
	}
	return strings.Join(cells, ", ")
}

func hpaTarget(m autoscalingv2.MetricSpec, st *autoscalingv2.MetricStatus) string {
	// quantity shows a reported value, <unknown> when none is.
	quantity := func(q *resource.Quantity, ok bool) string {
		if !ok || q == nil {
			return "<unknown>"
		}
		return q.String()
	}
	switch m.Type {
	case autoscalingv2.ExternalMetricSourceType, autoscalingv2.ObjectMetricSourceType:
		var target autoscalingv2.MetricTarget
		var cur *autoscalingv2.MetricValueStatus
		if m.Type == autoscalingv2.ObjectMetricSourceType {
			target = m.Object.Target
			if st != nil && st.Object != nil {
				cur = &st.Object.Current
			}
		} else {
			target = m.External.Target
			if st != nil && st.External != nil {
				cur = &st.External.Current
			}
		}
		if target.AverageValue != nil {
			return quantity(avgOf(cur), cur != nil) + "/" + target.AverageValue.String() + " (avg)"
		}
		return quantity(valueOf(cur), cur != nil) + "/" + target.Value.String()
	case autoscalingv2.PodsMetricSourceType:
		var cur *autoscalingv2.MetricValueStatus
		if st != nil && st.Pods != nil {
			cur = &st.Pods.Current
		}
		return quantity(avgOf(cur), cur != nil) + "/" + m.Pods.Target.AverageValue.String()
	case autoscalingv2.ResourceMetricSourceType, autoscalingv2.ContainerResourceMetricSourceType:
		name, target, cur := "", autoscalingv2.MetricTarget{}, (*autoscalingv2.MetricValueStatus)(nil)
		if m.Type == autoscalingv2.ResourceMetricSourceType {
			name, target = m.Resource.Name.String(), m.Resource.Target
			if st != nil && st.Resource != nil {
				cur = &st.Resource.Current
			}
		} else {
			name, target = m.ContainerResource.Name.String(), m.ContainerResource.Target
			if st != nil && st.ContainerResource != nil {
				cur = &st.ContainerResource.Current
			}
		}
		if target.AverageValue != nil {
			return name + ": " + quantity(avgOf(cur), cur != nil) + "/" + target.AverageValue.String()
		}
		current, want := "<unknown>", "<auto>"
		if cur != nil && cur.AverageUtilization != nil {
			current = fmt.Sprintf("%d%%", *cur.AverageUtilization)
		}
		if target.AverageUtilization != nil {
			want = fmt.Sprintf("%d%%", *target.AverageUtilization)
		}
		return name + ": " + current + "/" + want
	}
	return "<unknown type>"
}

func avgOf(s *autoscalingv2.MetricValueStatus) *resource.Quantity {
	if s == nil {
		return nil
	}
	return s.AverageValue
}

func valueOf(s *autoscalingv2.MetricValueStatus) *resource.Quantity {
	if s == nil {
		return nil
	}
	return s.Value
}
