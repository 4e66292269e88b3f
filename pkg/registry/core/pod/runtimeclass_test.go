package pod_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestRuntimeClassAdmission: a pod naming a missing RuntimeClass is
// Forbidden; one naming an existing class gets the class's overhead and
// scheduling constraints; an overhead or nodeSelector that disagrees with
// the class is Forbidden.
func TestRuntimeClassAdmission(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, c := context.Background(), s.Client
	pods := c.CoreV1().Pods("default")
	newPod := func(name, class string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "c", Image: "busybox"}},
		}}
		if class != "" {
			p.Spec.RuntimeClassName = ptr.To(class)
		}
		return p
	}

	_, err := pods.Create(ctx, newPod("missing", "nope"), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `RuntimeClass "nope" not found`) {
		t.Fatalf("pod with a missing RuntimeClass: %v, want Forbidden", err)
	}
	p := newPod("overhead-without-class", "")
	p.Spec.Overhead = resources("10m", "")
	if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("overhead without a RuntimeClass: %v, want Forbidden", err)
	}

	rc := &nodev1.RuntimeClass{
		ObjectMeta: metav1.ObjectMeta{Name: "sandboxed"}, Handler: "runsc",
		Overhead: &nodev1.Overhead{PodFixed: resources("250m", "120Mi")},
		Scheduling: &nodev1.Scheduling{
			NodeSelector: map[string]string{"sandbox": "gvisor"},
			Tolerations:  []corev1.Toleration{{Key: "sandbox", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
		},
	}
	if _, err := c.NodeV1().RuntimeClasses().Create(ctx, rc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p = newPod("sandboxed", "sandboxed")
	p.Spec.NodeSelector = map[string]string{"zone": "a"}
	got, err := pods.Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !apiequality.Semantic.DeepEqual(got.Spec.Overhead, rc.Overhead.PodFixed) {
		t.Errorf("overhead %v, want %v", got.Spec.Overhead, rc.Overhead.PodFixed)
	}
	if got.Spec.NodeSelector["sandbox"] != "gvisor" || got.Spec.NodeSelector["zone"] != "a" {
		t.Errorf("nodeSelector %v, want the pod's and the class's", got.Spec.NodeSelector)
	}
	found := false
	for _, tol := range got.Spec.Tolerations {
		found = found || (tol.Key == "sandbox" && tol.Effect == corev1.TaintEffectNoSchedule)
	}
	if !found {
		t.Errorf("tolerations %v lack the class's", got.Spec.Tolerations)
	}

	p = newPod("conflict", "sandboxed")
	p.Spec.NodeSelector = map[string]string{"sandbox": "kata"}
	if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("conflicting nodeSelector: %v, want Forbidden", err)
	}
	p = newPod("wrong-overhead", "sandboxed")
	p.Spec.Overhead = resources("1", "")
	if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("overhead unlike the class's: %v, want Forbidden", err)
	}

	// Deleting the class: new pods naming it are refused again.
	if err := c.NodeV1().RuntimeClasses().Delete(ctx, "sandboxed", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pods.Create(ctx, newPod("after-delete", "sandboxed"), metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("pod naming a deleted RuntimeClass: %v, want Forbidden", err)
	}
}
