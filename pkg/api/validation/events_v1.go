package validation

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/api/convert"
)

// validateEventsV1Update validates an update through events.k8s.io/v1 of
// an Event that may have been created through core/v1 (they share
// storage): as upstream, the new event passes the legacy (core) rules,
// a changed series must be valid, and everything but the series and
// metadata is immutable. Paths are the core fields', as upstream's.
func validateEventsV1Update(e, old *eventsv1.Event) field.ErrorList {
	ne, oe := &corev1.Event{}, &corev1.Event{}
	convert.EventToCoreV1(e, ne)
	convert.EventToCoreV1(old, oe)
	errs := withMetaUpdate(&e.ObjectMeta, &old.ObjectMeta, validateEventBody(ne))
	if s := e.Series; s != nil && !semanticEqual(e.Series, old.Series) {
		if s.Count < 2 {
			errs = append(errs, field.Invalid(field.NewPath("series", "count"), s.Count, "should be at least 2"))
		}
		if s.LastObservedTime.IsZero() {
			errs = append(errs, field.Required(field.NewPath("series", "lastObservedTime"), ""))
		}
	}
	for _, f := range []struct {
		name     string
		new, old any
	}{
		{"involvedObject", ne.InvolvedObject, oe.InvolvedObject}, {"reason", ne.Reason, oe.Reason},
		{"message", ne.Message, oe.Message}, {"source", ne.Source, oe.Source},
		{"firstTimestamp", ne.FirstTimestamp, oe.FirstTimestamp}, {"lastTimestamp", ne.LastTimestamp, oe.LastTimestamp},
		{"count", ne.Count, oe.Count}, {"type", ne.Type, oe.Type}, {"action", ne.Action, oe.Action},
		{"related", ne.Related, oe.Related}, {"reportingController", ne.ReportingController, oe.ReportingController},
		{"reportingInstance", ne.ReportingInstance, oe.ReportingInstance},
	} {
		errs = append(errs, immutable(f.new, f.old, field.NewPath(f.name))...)
	}
	// eventTime may change below a microsecond (clients truncate).
	if !ne.EventTime.Truncate(time.Microsecond).Equal(oe.EventTime.Truncate(time.Microsecond)) {
		errs = append(errs, immutable(ne.EventTime, oe.EventTime, field.NewPath("eventTime"))...)
	}
	return errs
}
