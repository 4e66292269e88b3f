package quota

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
)

// Evaluator measures one resource's objects for quota. Implementations
// are stateless and safe for concurrent use.
type Evaluator interface {
	// GroupResource is the resource measured.
	GroupResource() schema.GroupResource
	// MatchingResources returns the names among names this evaluator
	// measures (a quota tracks this resource iff the result is not empty).
	MatchingResources(names []corev1.ResourceName) []corev1.ResourceName
	// MatchesScope reports whether obj falls in one scope requirement of
	// a quota (spec.scopes become Exists requirements). Resources that
	// have no scopes match none, so a scoped quota never counts them.
	MatchesScope(req corev1.ScopedResourceSelectorRequirement, obj runtime.Object) (bool, error)
	// Constraints returns an error naming what obj must specify to be
	// admitted under a quota that tracks required.
	Constraints(required []corev1.ResourceName, obj runtime.Object) error
	// Usage is what obj costs at time now (every name it affects; the
	// caller masks it to a quota's names).
	Usage(obj runtime.Object, now time.Time) (corev1.ResourceList, error)
}

// ignored are the resources quota never counts, as upstream: events
// (never quota-ed) and the create-only reviews and bindings.
var ignored = map[schema.GroupResource]bool{
	{Resource: "events"}:                         true,
	{Group: "events.k8s.io", Resource: "events"}: true,
	{Resource: "bindings"}:                       true,
}

// Ignored reports whether creates of gr are never charged.
func Ignored(gr schema.GroupResource) bool { return ignored[gr] }

// aliases are the object counts that predate count/<resource>.
var aliases = map[schema.GroupResource]corev1.ResourceName{
	{Resource: "configmaps"}:             corev1.ResourceConfigMaps,
	{Resource: "resourcequotas"}:         corev1.ResourceQuotas,
	{Resource: "replicationcontrollers"}: corev1.ResourceReplicationControllers,
	{Resource: "secrets"}:                corev1.ResourceSecrets,
}

// special are the evaluators that measure more than a count.
var special = []Evaluator{Pods{}, Services{}, PersistentVolumeClaims{}}

// For returns the evaluator of gr: its own for pods, services and
// persistentvolumeclaims, an object count for everything else.
func For(gr schema.GroupResource) Evaluator {
	for _, e := range special {
		if e.GroupResource() == gr {
			return e
		}
	}
	return ObjectCount{Resource: gr, Alias: aliases[gr]}
}

// Measuring returns the resource whose objects a quota resource name
// counts ("requests.cpu" → pods, "count/deployments.apps" →
// deployments.apps, "secrets" → secrets), or false for a name nothing
// measures.
func Measuring(name corev1.ResourceName) (schema.GroupResource, bool) {
	for _, e := range special {
		if len(e.MatchingResources([]corev1.ResourceName{name})) > 0 {
			return e.GroupResource(), true
		}
	}
	for gr, alias := range aliases {
		if alias == name {
			return gr, true
		}
	}
	rest, ok := strings.CutPrefix(string(name), "count/")
	if !ok || rest == "" {
		return schema.GroupResource{}, false
	}
	r, g, _ := strings.Cut(rest, ".")
	return schema.GroupResource{Group: g, Resource: r}, true
}

// CountName is the object count name of gr: count/<resource>.<group>.
func CountName(gr schema.GroupResource) corev1.ResourceName {
	if gr.Group == "" {
		return corev1.ResourceName("count/" + gr.Resource)
	}
	return corev1.ResourceName("count/" + gr.Resource + "." + gr.Group)
}

// ScopeSelectors returns a quota's scopes and scopeSelector as one list
// of requirements (a spec.scopes entry is an Exists requirement).
func ScopeSelectors(q *corev1.ResourceQuota) []corev1.ScopedResourceSelectorRequirement {
	var out []corev1.ScopedResourceSelectorRequirement
	for _, s := range q.Spec.Scopes {
		out = append(out, corev1.ScopedResourceSelectorRequirement{ScopeName: s, Operator: corev1.ScopeSelectorOpExists})
	}
	if q.Spec.ScopeSelector != nil {
		out = append(out, q.Spec.ScopeSelector.MatchExpressions...)
	}
	return out
}

// InScope reports whether obj falls in every scope of q.
func InScope(e Evaluator, q *corev1.ResourceQuota, obj runtime.Object) (bool, error) {
	for _, req := range ScopeSelectors(q) {
		ok, err := e.MatchesScope(req, obj)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// Matches reports whether quota q, limiting hard, applies to obj: it
// tracks a name e measures, and obj is in all of its scopes.
func Matches(e Evaluator, q *corev1.ResourceQuota, hard corev1.ResourceList, obj runtime.Object) (bool, error) {
	if len(e.MatchingResources(Names(hard))) == 0 {
		return false, nil
	}
	return InScope(e, q, obj)
}

// matchesValue evaluates an In/NotIn/Exists/DoesNotExist requirement on
// a scope whose value for this object is value ("" = none): the
// requirement is a label selector on {ScopeName: value}.
func matchesValue(req corev1.ScopedResourceSelectorRequirement, value string) (bool, error) {
	var op selection.Operator
	switch req.Operator {
	case corev1.ScopeSelectorOpIn:
		op = selection.In
	case corev1.ScopeSelectorOpNotIn:
		op = selection.NotIn
	case corev1.ScopeSelectorOpExists:
		op = selection.Exists
	case corev1.ScopeSelectorOpDoesNotExist:
		op = selection.DoesNotExist
	default:
		return false, fmt.Errorf("%q is not a valid scope selector operator", req.Operator)
	}
	r, err := labels.NewRequirement(string(req.ScopeName), op, req.Values)
	if err != nil {
		return false, fmt.Errorf("failed to parse and convert selector: %w", err)
	}
	set := labels.Set{}
	if value != "" {
		set[string(req.ScopeName)] = value
	}
	return labels.NewSelector().Add(*r).Matches(set), nil
}

// ObjectCount is the evaluator of a resource quota only counts: every
// object costs 1 of count/<resource>.<group> (and of Alias, if set).
type ObjectCount struct {
	Resource schema.GroupResource
	Alias    corev1.ResourceName
}

var _ Evaluator = ObjectCount{}

func (o ObjectCount) GroupResource() schema.GroupResource { return o.Resource }

func (o ObjectCount) names() []corev1.ResourceName {
	if o.Alias != "" {
		return []corev1.ResourceName{CountName(o.Resource), o.Alias}
	}
	return []corev1.ResourceName{CountName(o.Resource)}
}

func (o ObjectCount) MatchingResources(names []corev1.ResourceName) []corev1.ResourceName {
	return intersect(names, o.names())
}

func (o ObjectCount) MatchesScope(corev1.ScopedResourceSelectorRequirement, runtime.Object) (bool, error) {
	return false, nil
}

func (o ObjectCount) Constraints([]corev1.ResourceName, runtime.Object) error { return nil }

func (o ObjectCount) Usage(runtime.Object, time.Time) (corev1.ResourceList, error) {
	out := corev1.ResourceList{}
	for _, n := range o.names() {
		out[n] = one()
	}
	return out, nil
}
