package pod_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestEvictionSpendsBudget: with no disruption controller running, a
// budget allowing one disruption lets exactly one eviction through: it
// records the pod in status.disruptedPods and decrements
// disruptionsAllowed, so the next is refused with 429 (and no
// Retry-After, so clients are not held up retrying). A budget not yet
// observed by the controller refuses too.
func TestEvictionSpendsBudget(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, c := context.Background(), s.Client
	for _, name := range []string{"a", "b"} {
		_, err := c.CoreV1().Pods("default").Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "db"}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	one := intstr.FromInt32(1)
	pdb, err := c.PolicyV1().PodDisruptionBudgets("default").Create(ctx, &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	evict := func(name string) error {
		return c.PolicyV1().Evictions("default").Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}})
	}
	if err := evict("a"); !apierrors.IsTooManyRequests(err) {
		t.Fatalf("eviction against an unprocessed budget: %v, want 429", err)
	}
	// Play the disruption controller: one disruption allowed.
	pdb.Status = policyv1.PodDisruptionBudgetStatus{ObservedGeneration: pdb.Generation, ExpectedPods: 2,
		CurrentHealthy: 2, DesiredHealthy: 1, DisruptionsAllowed: 1}
	if _, err := c.PolicyV1().PodDisruptionBudgets("default").UpdateStatus(ctx, pdb, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := evict("a"); err != nil {
		t.Fatalf("first eviction: %v", err)
	}
	err = evict("b")
	if !apierrors.IsTooManyRequests(err) {
		t.Fatalf("second eviction: %v, want 429", err)
	}
	if st, ok := err.(apierrors.APIStatus); ok && st.Status().Details != nil && st.Status().Details.RetryAfterSeconds != 0 {
		t.Errorf("429 asks to retry after %ds", st.Status().Details.RetryAfterSeconds)
	}
	got, err := c.PolicyV1().PodDisruptionBudgets("default").Get(ctx, "db", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Status.DisruptedPods["a"]; !ok || got.Status.DisruptionsAllowed != 0 {
		t.Errorf("status after eviction: %+v", got.Status)
	}
	if _, err := c.CoreV1().Pods("default").Get(ctx, "b", metav1.GetOptions{}); err != nil {
		t.Errorf("b: %v", err)
	}
}
