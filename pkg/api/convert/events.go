package convert

import (
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
)

// Events are one stored object served under two groups: core/v1 Events
// (the storage version, under /registry/events) and events.k8s.io/v1
// Events, as upstream. The field mapping is upstream's: regarding is
// involvedObject, note is message, reportingController is
// reportingComponent, and the deprecated* fields are the core fields of
// the same name.

func addEvents(s *runtime.Scheme) error {
	if err := s.AddConversionFunc((*corev1.Event)(nil), (*eventsv1.Event)(nil), func(a, b any, _ conversion.Scope) error {
		EventToEventsV1(a.(*corev1.Event), b.(*eventsv1.Event))
		return nil
	}); err != nil {
		return err
	}
	return s.AddConversionFunc((*eventsv1.Event)(nil), (*corev1.Event)(nil), func(a, b any, _ conversion.Scope) error {
		EventToCoreV1(a.(*eventsv1.Event), b.(*corev1.Event))
		return nil
	})
}

// EventToEventsV1 writes the events.k8s.io/v1 form of in to out.
func EventToEventsV1(in *corev1.Event, out *eventsv1.Event) {
	in = in.DeepCopy()
	*out = eventsv1.Event{TypeMeta: out.TypeMeta, ObjectMeta: in.ObjectMeta,
		EventTime: in.EventTime, ReportingController: in.ReportingController, ReportingInstance: in.ReportingInstance,
		Action: in.Action, Reason: in.Reason, Regarding: in.InvolvedObject, Related: in.Related, Note: in.Message,
		Type: in.Type, DeprecatedSource: in.Source, DeprecatedFirstTimestamp: in.FirstTimestamp,
		DeprecatedLastTimestamp: in.LastTimestamp, DeprecatedCount: in.Count}
	if s := in.Series; s != nil {
		out.Series = &eventsv1.EventSeries{Count: s.Count, LastObservedTime: s.LastObservedTime}
	}
}

// EventToCoreV1 writes the core/v1 form of in to out.
func EventToCoreV1(in *eventsv1.Event, out *corev1.Event) {
	in = in.DeepCopy()
	*out = corev1.Event{TypeMeta: out.TypeMeta, ObjectMeta: in.ObjectMeta,
		InvolvedObject: in.Regarding, Reason: in.Reason, Message: in.Note, Source: in.DeprecatedSource,
		FirstTimestamp: in.DeprecatedFirstTimestamp, LastTimestamp: in.DeprecatedLastTimestamp, Count: in.DeprecatedCount,
		Type: in.Type, EventTime: in.EventTime, Action: in.Action, Related: in.Related,
		ReportingController: in.ReportingController, ReportingInstance: in.ReportingInstance}
	if s := in.Series; s != nil {
		out.Series = &corev1.EventSeries{Count: s.Count, LastObservedTime: s.LastObservedTime}
	}
}
