package pod_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestUpdateKeepsDefaultTolerations: an update that replaces a pod's
// tolerations with a new list (as the conformance spec "pod generation
// should start at 1 and increment per update" does) is an addition, not a
// removal: the default not-ready/unreachable tolerations are added again,
// as upstream's DefaultTolerationSeconds admission does on update, and
// the generation counts the change.
func TestUpdateKeepsDefaultTolerations(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, pods := context.Background(), s.Client.CoreV1().Pods("default")
	p, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Spec.Tolerations) != 2 {
		t.Fatalf("created with tolerations %+v, want the two defaults", p.Spec.Tolerations)
	}
	p.Spec.Tolerations = []corev1.Toleration{{Key: "foo", Operator: corev1.TolerationOpEqual, Value: "bar", Effect: corev1.TaintEffectNoSchedule}}
	p, err = pods.Update(ctx, p, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update replacing the tolerations: %v", err)
	}
	keys := map[string]bool{}
	for _, tol := range p.Spec.Tolerations {
		keys[tol.Key] = true
	}
	if len(p.Spec.Tolerations) != 3 || !keys["foo"] || !keys[corev1.TaintNodeNotReady] || !keys[corev1.TaintNodeUnreachable] {
		t.Errorf("tolerations after update = %+v, want foo and the two defaults", p.Spec.Tolerations)
	}
	if p.Generation != 2 {
		t.Errorf("generation = %d, want 2", p.Generation)
	}
	// Removing a toleration the pod had is still refused.
	var kept []corev1.Toleration
	for _, tol := range p.Spec.Tolerations {
		if tol.Key != "foo" {
			kept = append(kept, tol)
		}
	}
	p.Spec.Tolerations = kept
	if _, err := pods.Update(ctx, p, metav1.UpdateOptions{}); err == nil {
		t.Error("an update removing toleration foo was accepted")
	}
}
