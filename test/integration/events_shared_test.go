package integration

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestEventsSharedStorage: core/v1 and events.k8s.io/v1 Events are one
// stored object (/registry/events), as upstream: an event created through
// one is fetched, listed, patched and deleted through the other, fields
// mapped (message is note, involvedObject is regarding, count is
// deprecatedCount).
func TestEventsSharedStorage(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	core := s.Client.CoreV1().Events("default")
	events := s.Client.EventsV1().Events("default")

	now := metav1.NewTime(time.Now().Truncate(time.Second))
	_, err := core.Create(ctx, &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "core-made", Labels: map[string]string{"via": "core"}},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web"},
		Reason:         "Started", Message: "started container", Type: corev1.EventTypeNormal, Count: 3,
		FirstTimestamp: now, LastTimestamp: now, Source: corev1.EventSource{Component: "kubelet"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := events.List(ctx, metav1.ListOptions{LabelSelector: "via=core"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		t.Fatalf("events.k8s.io lists %d events created through core/v1, want 1", len(list.Items))
	}
	e := list.Items[0]
	if e.Name != "core-made" || e.Note != "started container" || e.Regarding.Name != "web" || e.DeprecatedCount != 3 ||
		e.DeprecatedSource.Component != "kubelet" || !e.DeprecatedFirstTimestamp.Equal(&now) {
		t.Errorf("events.k8s.io form %+v", e)
	}

	// Patched through events.k8s.io (a series), read through core; the
	// note is immutable there, as upstream.
	patch := `{"series":{"count":2,"lastObservedTime":"2026-01-01T00:00:00.000000Z"}}`
	if _, err := events.Patch(ctx, "core-made", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := core.Get(ctx, "core-made", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Series == nil || got.Series.Count != 2 || got.Message != "started container" || got.Count != 3 {
		t.Errorf("core form after the patch: series %+v, message %q, count %d", got.Series, got.Message, got.Count)
	}
	_, err = events.Patch(ctx, "core-made", types.MergePatchType, []byte(`{"note":"changed"}`), metav1.PatchOptions{})
	if !hasCause(err, "message") {
		t.Errorf("changing the note through events.k8s.io: %v", err)
	}

	// Created through events.k8s.io, read through core.
	_, err = events.Create(ctx, &eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Name: "new-made"},
		EventTime: metav1.NewMicroTime(time.Now()), ReportingController: "example.com/ctrl", ReportingInstance: "ctrl-1",
		Action: "Scale", Reason: "Scaled", Type: corev1.EventTypeNormal, Note: "scaled up",
		Regarding: corev1.ObjectReference{Kind: "Deployment", Namespace: "default", Name: "web"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err = core.Get(ctx, "new-made", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Message != "scaled up" || got.InvolvedObject.Kind != "Deployment" || got.ReportingController != "example.com/ctrl" {
		t.Errorf("core form of an events.k8s.io event %+v", got)
	}
	// Without a source.component, core/v1's "source" selects on the
	// reporting controller, as upstream.
	bySource, err := core.List(ctx, metav1.ListOptions{FieldSelector: "source=example.com/ctrl"})
	if err != nil || len(bySource.Items) != 1 || bySource.Items[0].Name != "new-made" {
		t.Errorf("core/v1 list by source=example.com/ctrl: %v (%v), want new-made", bySource, err)
	}
	bySource, err = core.List(ctx, metav1.ListOptions{FieldSelector: "source=kubelet"})
	if err != nil || len(bySource.Items) != 1 || bySource.Items[0].Name != "core-made" {
		t.Errorf("core/v1 list by source=kubelet: %v (%v), want core-made", bySource, err)
	}

	// Each API selects on its own field names.
	byCore, err := core.List(ctx, metav1.ListOptions{FieldSelector: "source=kubelet"})
	if err != nil {
		t.Fatal(err)
	}
	byEvents, err := events.List(ctx, metav1.ListOptions{FieldSelector: "reportingController=example.com/ctrl"})
	if err != nil {
		t.Fatal(err)
	}
	if len(byCore.Items) != 1 || byCore.Items[0].Name != "core-made" || len(byEvents.Items) != 1 || byEvents.Items[0].Name != "new-made" {
		t.Errorf("field selectors: core %d items, events.k8s.io %d items", len(byCore.Items), len(byEvents.Items))
	}

	// Deleted through one, gone from both.
	if err := events.Delete(ctx, "core-made", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := core.Get(ctx, "core-made", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("core get after an events.k8s.io delete: %v", err)
	}
}
