package apiservice

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Strategy is the APIService strategy: status belongs to /status, except
// that a local APIService is created Available.
type Strategy struct {
	generic.Default
}

var (
	_ generic.Strategy         = Strategy{}
	_ generic.StatusStrategist = Strategy{}
)

// NewStrategy returns the strategy for the apiservices resource r.
func NewStrategy(r api.Resource) Strategy { return Strategy{Default: generic.Default{Resource: r}} }

// PrepareForCreate clears the status and marks a local APIService
// Available.
func (s Strategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	a := obj.(*apiregistrationv1.APIService)
	a.Status = apiregistrationv1.APIServiceStatus{}
	if a.Spec.Service == nil {
		SetCondition(a, LocalAvailable())
	}
}

// Validate checks a new APIService.
func (s Strategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validateCreate(obj.(*apiregistrationv1.APIService))
}

// ValidateUpdate checks a changed APIService: the metadata update rules,
// then everything a new one must satisfy (so the name still matches the
// spec).
func (s Strategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	errs := s.Default.ValidateUpdate(ctx, obj, old)
	return append(errs, validateCreate(obj.(*apiregistrationv1.APIService))...)
}

// StatusStrategy returns the strategy of /status.
func (s Strategy) StatusStrategy() generic.Strategy {
	return statusStrategy{StatusStrategy: generic.StatusStrategy{Strategy: s}}
}

// statusStrategy writes only the status: unlike most /status endpoints,
// upstream's also keeps labels, annotations, finalizers and owner
// references from the stored object.
type statusStrategy struct {
	generic.StatusStrategy
}

func (s statusStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	s.StatusStrategy.PrepareForUpdate(ctx, obj, old)
	a, o := obj.(*apiregistrationv1.APIService), old.(*apiregistrationv1.APIService)
	a.Labels, a.Annotations = o.Labels, o.Annotations
	a.Finalizers, a.OwnerReferences = o.Finalizers, o.OwnerReferences
}

func (s statusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	errs := s.StatusStrategy.ValidateUpdate(ctx, obj, old)
	return append(errs, validateStatus(obj.(*apiregistrationv1.APIService))...)
}

// LocalAvailable is the condition of an APIService served by this server.
func LocalAvailable() apiregistrationv1.APIServiceCondition {
	return apiregistrationv1.APIServiceCondition{
		Type: apiregistrationv1.Available, Status: apiregistrationv1.ConditionTrue,
		Reason: "Local", Message: "Local APIServices are always available",
	}
}

// SetCondition sets or replaces the condition of c's type; the transition
// time moves only when the status changes.
func SetCondition(a *apiregistrationv1.APIService, c apiregistrationv1.APIServiceCondition) {
	c.LastTransitionTime = metav1.Now()
	for i, cur := range a.Status.Conditions {
		if cur.Type != c.Type {
			continue
		}
		if cur.Status == c.Status {
			c.LastTransitionTime = cur.LastTransitionTime
		}
		a.Status.Conditions[i] = c
		return
	}
	a.Status.Conditions = append(a.Status.Conditions, c)
}

// Condition returns the condition of type t, if set.
func Condition(a *apiregistrationv1.APIService, t apiregistrationv1.APIServiceConditionType) (apiregistrationv1.APIServiceCondition, bool) {
	for _, c := range a.Status.Conditions {
		if c.Type == t {
			return c, true
		}
	}
	return apiregistrationv1.APIServiceCondition{}, false
}
