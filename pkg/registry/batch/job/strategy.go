package job

import (
	"context"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Labels the generated selector uses (and their legacy spellings, which
// upstream still writes on pod templates).
const (
	labelControllerUID       = "batch.kubernetes.io/controller-uid"
	labelJobName             = "batch.kubernetes.io/job-name"
	legacyLabelControllerUID = "controller-uid"
	legacyLabelJobName       = "job-name"
)

// Strategy is the jobs strategy.
type Strategy struct{ generic.Default }

var _ generic.Strategy = Strategy{}

// NewStrategy returns the jobs strategy.
func NewStrategy(r api.Resource) Strategy { return Strategy{generic.Default{Resource: r}} }

// Validate generates the selector first: it needs the uid, which the
// store sets after PrepareForCreate (upstream does the same here).
func (s Strategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	j := obj.(*batchv1.Job)
	if j.Spec.ManualSelector == nil || !*j.Spec.ManualSelector {
		generateSelector(j)
	}
	return s.Default.Validate(ctx, obj)
}

func generateSelector(j *batchv1.Job) {
	uid := string(j.UID)
	if j.Spec.Template.Labels == nil {
		j.Spec.Template.Labels = map[string]string{}
	}
	for k, v := range map[string]string{labelControllerUID: uid, labelJobName: j.Name,
		legacyLabelControllerUID: uid, legacyLabelJobName: j.Name} {
		if _, ok := j.Spec.Template.Labels[k]; !ok {
			j.Spec.Template.Labels[k] = v
		}
	}
	if j.Spec.Selector == nil {
		j.Spec.Selector = &metav1.LabelSelector{}
	}
	if j.Spec.Selector.MatchLabels == nil {
		j.Spec.Selector.MatchLabels = map[string]string{}
	}
	if _, ok := j.Spec.Selector.MatchLabels[labelControllerUID]; !ok {
		j.Spec.Selector.MatchLabels[labelControllerUID] = uid
	}
}
