package event

import (
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// NewStrategy returns the events strategy.
func NewStrategy(r api.Resource) generic.Strategy {
	return generic.Default{Resource: r, ExtraFields: func(obj runtime.Object) fields.Set {
		e := obj.(*corev1.Event)
		// An event written through events.k8s.io/v1 has no
		// source.component: "source" selects on its reporting
		// controller then, as upstream.
		source := e.Source.Component
		if source == "" {
			source = e.ReportingController
		}
		return fields.Set{
			"involvedObject.kind":            e.InvolvedObject.Kind,
			"involvedObject.namespace":       e.InvolvedObject.Namespace,
			"involvedObject.name":            e.InvolvedObject.Name,
			"involvedObject.uid":             string(e.InvolvedObject.UID),
			"involvedObject.apiVersion":      e.InvolvedObject.APIVersion,
			"involvedObject.resourceVersion": e.InvolvedObject.ResourceVersion,
			"involvedObject.fieldPath":       e.InvolvedObject.FieldPath,
			"reason":                         e.Reason,
			"reportingComponent":             e.ReportingController,
			"source":                         source,
			"type":                           e.Type,
		}
	}}
}

// NewEventsV1Strategy returns the strategy of events.k8s.io/v1 events,
// the same stored Events: their selectable fields are the core ones
// under events.k8s.io names, as upstream's field label conversion
// (regarding.* for involvedObject.*, reportingController for
// reportingComponent).
func NewEventsV1Strategy(r api.Resource) generic.Strategy {
	return generic.Default{Resource: r, ExtraFields: func(obj runtime.Object) fields.Set {
		e := obj.(*eventsv1.Event)
		return fields.Set{
			"regarding.kind":            e.Regarding.Kind,
			"regarding.namespace":       e.Regarding.Namespace,
			"regarding.name":            e.Regarding.Name,
			"regarding.uid":             string(e.Regarding.UID),
			"regarding.apiVersion":      e.Regarding.APIVersion,
			"regarding.resourceVersion": e.Regarding.ResourceVersion,
			"regarding.fieldPath":       e.Regarding.FieldPath,
			"reason":                    e.Reason,
			"reportingController":       e.ReportingController,
			"type":                      e.Type,
		}
	}}
}
