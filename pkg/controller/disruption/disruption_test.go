package disruption_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controllermanager"
)

// TestBudget: status counts Ready pods against minAvailable; one
// eviction is allowed, a second right after it gets 429 (the first spent
// the budget in status.disruptedPods before the controller caught up);
// a percent maxUnavailable is resolved against the matching pods.
func TestBudget(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := controllermanager.DefaultConfig()
	cfg.RESTConfig, cfg.LeaderElect, cfg.Controllers = s.RESTConfig, false, []string{"disruption"}
	go func() { _ = controllermanager.Run(ctx, cfg) }()
	c := s.Client

	for i := 0; i < 4; i++ {
		p, err := c.CoreV1().Pods("default").Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%d", i), Labels: map[string]string{"app": "db"}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ready := corev1.ConditionTrue
		if i == 3 {
			ready = corev1.ConditionFalse // running, not ready: expected, not healthy
		}
		p.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}}}
		if _, err := c.CoreV1().Pods("default").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	two := intstr.FromInt32(2)
	pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Spec: policyv1.PodDisruptionBudgetSpec{
		MinAvailable: &two, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}}}
	if _, err := c.PolicyV1().PodDisruptionBudgets("default").Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	type counts struct{ expected, healthy, desired, allowed int32 }
	waitFor := func(want counts, reason string) {
		t.Helper()
		var got *policyv1.PodDisruptionBudget
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			p, err := c.PolicyV1().PodDisruptionBudgets("default").Get(ctx, "db", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			got = p
			st := p.Status
			cond := meta.FindStatusCondition(st.Conditions, policyv1.DisruptionAllowedCondition)
			return st.ObservedGeneration == p.Generation && cond != nil && cond.Reason == reason &&
				(counts{st.ExpectedPods, st.CurrentHealthy, st.DesiredHealthy, st.DisruptionsAllowed}) == want, nil
		})
		if err != nil {
			t.Fatalf("want %+v %s: %v; status %+v", want, reason, err, got.Status)
		}
	}
	waitFor(counts{4, 3, 2, 1}, policyv1.SufficientPodsReason)

	evict := func(name string) error {
		return c.PolicyV1().Evictions("default").Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}})
	}
	if err := evict("p0"); err != nil {
		t.Fatalf("first eviction: %v", err)
	}
	if err := evict("p1"); !apierrors.IsTooManyRequests(err) {
		t.Fatalf("second eviction: %v, want 429", err)
	}
	waitFor(counts{3, 2, 2, 0}, policyv1.InsufficientPodsReason)

	// maxUnavailable 50% of 3 pods rounds up to 2: desired 1, allowed 1.
	cur, err := c.PolicyV1().PodDisruptionBudgets("default").Get(ctx, "db", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	half := intstr.FromString("50%")
	cur.Spec.MinAvailable, cur.Spec.MaxUnavailable = nil, &half
	if _, err := c.PolicyV1().PodDisruptionBudgets("default").Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(counts{3, 2, 1, 1}, policyv1.SufficientPodsReason)
	if err := evict("p1"); err != nil {
		t.Fatalf("eviction under maxUnavailable: %v", err)
	}
}
