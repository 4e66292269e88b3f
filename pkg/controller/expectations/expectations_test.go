package expectations

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func pod(name string) *corev1.Pod { return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}} }

func TestSatisfied(t *testing.T) {
	a, b, other := pod("a"), pod("b"), pod("other")
	for _, tc := range []struct {
		name    string
		observe func(e *Expectations[string])
		after   time.Duration
		want    bool
	}{
		{name: "nothing observed", observe: func(*Expectations[string]) {}},
		{name: "all observed", want: true, observe: func(e *Expectations[string]) {
			e.CreationObserved("k")
			e.DeletionObserved("k", a)
			e.DeletionObserved("k", b)
		}},
		{name: "a deletion seen twice counts once", observe: func(e *Expectations[string]) {
			e.CreationObserved("k")
			e.DeletionObserved("k", a)
			e.DeletionObserved("k", a)
		}},
		{name: "an unexpected deletion does not count", observe: func(e *Expectations[string]) {
			e.CreationObserved("k")
			e.DeletionObserved("k", a)
			e.DeletionObserved("k", other)
		}},
		{name: "expired", after: Timeout + time.Second, want: true, observe: func(*Expectations[string]) {}},
		{name: "forgotten", want: true, observe: func(e *Expectations[string]) { e.Forget("k") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Unix(0, 0)
			e := New[string](func() time.Time { return now })
			e.Expect("k", 1, []*corev1.Pod{a, b})
			tc.observe(e)
			now = now.Add(tc.after)
			if got := e.Satisfied("k"); got != tc.want {
				t.Errorf("Satisfied = %v, want %v", got, tc.want)
			}
		})
	}
}
