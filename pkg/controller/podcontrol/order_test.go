package podcontrol

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSortForDeletion(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pod := func(name, node string, phase corev1.PodPhase, readySince time.Duration, created time.Duration) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(base.Add(created))}}
		p.Spec.NodeName, p.Status.Phase = node, phase
		if readySince >= 0 {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue,
				LastTransitionTime: metav1.NewTime(base.Add(readySince))}}
		}
		return p
	}
	pods := []*corev1.Pod{
		pod("ready-long", "n", corev1.PodRunning, 1*time.Minute, 0),
		pod("ready-recent", "n", corev1.PodRunning, 5*time.Minute, 0),
		pod("running-not-ready-old", "n", corev1.PodRunning, -1, 0),
		pod("running-not-ready-new", "n", corev1.PodRunning, -1, time.Minute),
		pod("pending", "n", corev1.PodPending, -1, 0),
		pod("unscheduled", "", corev1.PodPending, -1, 0),
	}
	want := []string{"unscheduled", "pending", "running-not-ready-new", "running-not-ready-old", "ready-recent", "ready-long"}
	SortForDeletion(pods)
	for i, p := range pods {
		if p.Name != want[i] {
			t.Fatalf("position %d: %s, want order %v", i, p.Name, want)
		}
	}
}

func TestSlowStart(t *testing.T) {
	var calls atomic.Int32
	n, err := SlowStart(10, func() error { calls.Add(1); return nil })
	if n != 10 || err != nil || calls.Load() != 10 {
		t.Fatalf("all succeed: %d successes, %d calls, %v", n, calls.Load(), err)
	}
	calls.Store(0)
	boom := errors.New("quota")
	n, err = SlowStart(100, func() error {
		if calls.Add(1) > 3 {
			return boom
		}
		return nil
	})
	// Batches 1, 2 succeed; the batch of 4 fails once 3 calls are done.
	if n != 3 || !errors.Is(err, boom) || calls.Load() != 7 {
		t.Fatalf("failing: %d successes, %d calls, %v", n, calls.Load(), err)
	}
}
