package printers

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Events of both core/v1 and events.k8s.io/v1 print alike: upstream
// converts either to its internal Event before printing, so the
// events.k8s.io fields are mapped onto a core Event here.

func addEventHandlers(g *Generator) {
	eventDoc := corev1.Event{}.SwaggerDoc()
	columns := []metav1.TableColumnDefinition{
		col("Last Seen", "string", eventDoc["lastTimestamp"]),
		col("Type", "string", eventDoc["type"]),
		col("Reason", "string", eventDoc["reason"]),
		col("Object", "string", eventDoc["involvedObject"]),
		wide("Subobject", "string", corev1.ObjectReference{}.SwaggerDoc()["fieldPath"]),
		wide("Source", "string", eventDoc["source"]),
		col("Message", "string", eventDoc["message"]),
		wide("First Seen", "string", eventDoc["firstTimestamp"]),
		wide("Count", "string", eventDoc["count"]),
		{Name: "Name", Type: "string", Format: "name", Priority: 1, Description: objectMetaDoc["name"]},
	}
	register(g, printerFor[*corev1.Event]{columns: columns, cells: eventCells})
	register(g, printerFor[*eventsv1.Event]{
		columns: columns,
		cells: func(e *eventsv1.Event, pc *printContext) ([]interface{}, error) {
			return eventCells(coreEvent(e), pc)
		},
	})
}

func eventCells(e *corev1.Event, pc *printContext) ([]interface{}, error) {
	first := since(pc, e.FirstTimestamp)
	if e.FirstTimestamp.IsZero() {
		first = sinceMicro(pc, e.EventTime)
	}
	last := since(pc, e.LastTimestamp)
	if e.LastTimestamp.IsZero() {
		last = first
	}
	count := e.Count
	switch {
	case e.Series != nil:
		last, count = sinceMicro(pc, e.Series.LastObservedTime), e.Series.Count
	case count == 0:
		count = 1 // singleton events of the new API carry no count
	}

	object := strings.ToLower(e.InvolvedObject.Kind)
	if e.InvolvedObject.Name != "" {
		object = fmt.Sprintf("%s/%s", object, e.InvolvedObject.Name)
	}
	return []interface{}{
		last,
		e.Type,
		e.Reason,
		object,
		e.InvolvedObject.FieldPath,
		eventSource(e),
		strings.TrimSpace(e.Message),
		first,
		int64(count),
		e.Name,
	}, nil
}

// eventSource is "component, host", falling back to the reporting
// controller and instance of new-style events.
func eventSource(e *corev1.Event) string {
	component := e.Source.Component
	if component == "" {
		component = e.ReportingController
	}
	host := e.Source.Host
	if host == "" {
		host = e.ReportingInstance
	}
	if host == "" {
		return component
	}
	return component + ", " + host
}

// coreEvent maps an events.k8s.io/v1 Event onto the core/v1 fields the
// printer reads, as upstream's conversion to the internal Event does.
func coreEvent(e *eventsv1.Event) *corev1.Event {
	out := &corev1.Event{
		ObjectMeta:          e.ObjectMeta,
		InvolvedObject:      e.Regarding,
		Reason:              e.Reason,
		Message:             e.Note,
		Source:              e.DeprecatedSource,
		FirstTimestamp:      e.DeprecatedFirstTimestamp,
		LastTimestamp:       e.DeprecatedLastTimestamp,
		Count:               e.DeprecatedCount,
		Type:                e.Type,
		EventTime:           e.EventTime,
		Action:              e.Action,
		Related:             e.Related,
		ReportingController: e.ReportingController,
		ReportingInstance:   e.ReportingInstance,
	}
	if e.Series != nil {
		out.Series = &corev1.EventSeries{Count: e.Series.Count, LastObservedTime: e.Series.LastObservedTime}
	}
	return out
}
