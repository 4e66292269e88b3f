package validation

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/api/convert"
)

// autoscaling/v1 HorizontalPodAutoscalers are validated as the v2 object
// they are stored as (upstream validates the internal form, so its
// error paths are those of v2: a v1 target shows as spec.metrics).

func hpaV2(h *autoscalingv1.HorizontalPodAutoscaler) *autoscalingv2.HorizontalPodAutoscaler {
	out := &autoscalingv2.HorizontalPodAutoscaler{}
	convert.HPAToV2(h, out)
	return out
}

func validateHorizontalPodAutoscalerV1(h *autoscalingv1.HorizontalPodAutoscaler) field.ErrorList {
	return validateHorizontalPodAutoscaler(hpaV2(h))
}

func validateHorizontalPodAutoscalerV1Update(h, old *autoscalingv1.HorizontalPodAutoscaler) field.ErrorList {
	return validateHorizontalPodAutoscalerUpdate(hpaV2(h), hpaV2(old))
}
