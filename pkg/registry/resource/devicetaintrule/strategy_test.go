package devicetaintrule

import (
	"context"
	"testing"
	"time"

	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/api"
)

// TestPrepareForUpdate: the status is kept; timeAdded is restamped (to the
// second) only when the effect changes and the client kept the old time.
func TestPrepareForUpdate(t *testing.T) {
	r, ok := api.Lookup(schema.GroupVersionResource{Group: "resource.k8s.io", Version: "v1", Resource: "devicetaintrules"})
	if !ok {
		t.Fatal("devicetaintrules not served")
	}
	now := time.Date(2026, 12, 7, 1, 2, 3, 456, time.UTC)
	s := NewStrategy(r)
	s.Now = func() time.Time { return now }
	added := metav1.NewTime(now.Add(-time.Hour))
	mine := metav1.NewTime(now.Add(-time.Minute))
	old := &resourcev1.DeviceTaintRule{
		Spec:   resourcev1.DeviceTaintRuleSpec{Taint: resourcev1.DeviceTaint{Key: "k", Effect: resourcev1.DeviceTaintEffectNone, TimeAdded: &added}},
		Status: resourcev1.DeviceTaintRuleStatus{Conditions: []metav1.Condition{{Type: resourcev1.DeviceTaintConditionEvictionInProgress}}},
	}
	for _, tc := range []struct {
		name      string
		effect    resourcev1.DeviceTaintEffect
		timeAdded *metav1.Time
		want      time.Time
	}{
		{"same effect", resourcev1.DeviceTaintEffectNone, &added, added.Time},
		{"new effect, old time", resourcev1.DeviceTaintEffectNoExecute, &added, now.Truncate(time.Second)},
		{"new effect, own time", resourcev1.DeviceTaintEffectNoExecute, &mine, mine.Time},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := old.DeepCopy()
			obj.Status = resourcev1.DeviceTaintRuleStatus{}
			obj.Spec.Taint.Effect, obj.Spec.Taint.TimeAdded = tc.effect, tc.timeAdded.DeepCopy()
			s.PrepareForUpdate(context.Background(), obj, old)
			if !obj.Spec.Taint.TimeAdded.Time.Equal(tc.want) {
				t.Errorf("timeAdded = %v, want %v", obj.Spec.Taint.TimeAdded, tc.want)
			}
			if len(obj.Status.Conditions) != 1 {
				t.Errorf("status not kept: %+v", obj.Status)
			}
		})
	}
}
