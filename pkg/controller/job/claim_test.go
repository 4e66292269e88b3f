package job_test

import (
	"context"
	"slices"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
)

// TestJobClaimsPods: a Job re-adopts an orphaned pod its selector matches
// (with the tracking finalizer) and releases an owned pod it no longer
// matches (dropping the finalizer), then runs a replacement, as e2e's
// "should adopt matching orphans and release non-matching pods" expects.
func TestJobClaimsPods(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := startWithBackoff(t, s)
	pods := s.Client.CoreV1().Pods("default")
	j, err := s.Client.BatchV1().Jobs("default").Create(ctx, newJob("claim", 4, 2), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	owned := func(p *corev1.Pod) bool {
		ref := metav1.GetControllerOf(p)
		return ref != nil && ref.UID == j.UID
	}
	waitPods := func(what string, cond func([]corev1.Pod) bool) []corev1.Pod {
		t.Helper()
		var got []corev1.Pod
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			l, err := pods.List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			got = l.Items
			return cond(got), nil
		})
		if err != nil {
			t.Fatalf("%s: %v; pods %+v", what, err, got)
		}
		return got
	}
	countOwned := func(ps []corev1.Pod) int {
		n := 0
		for i := range ps {
			if owned(&ps[i]) && ps[i].DeletionTimestamp == nil {
				n++
			}
		}
		return n
	}
	all := waitPods("2 pods", func(ps []corev1.Pod) bool { return countOwned(ps) == 2 })

	for _, tc := range []struct {
		name  string
		patch string // JSON merge patch on one owned pod
		want  func(*corev1.Pod) bool
	}{
		{"orphan is adopted", `{"metadata":{"ownerReferences":null}}`, func(p *corev1.Pod) bool {
			return owned(p) && slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer)
		}},
		{"non-matching pod is released", `{"metadata":{"labels":null}}`, func(p *corev1.Pod) bool {
			return metav1.GetControllerOf(p) == nil && !slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var name string
			for i := range all {
				if owned(&all[i]) {
					name = all[i].Name
				}
			}
			if _, err := pods.Patch(ctx, name, types.MergePatchType, []byte(tc.patch), metav1.PatchOptions{}); err != nil {
				t.Fatal(err)
			}
			all = waitPods(name+" claimed as expected", func(ps []corev1.Pod) bool {
				for i := range ps {
					if ps[i].Name == name {
						return tc.want(&ps[i])
					}
				}
				return false
			})
			// Still (or again) parallelism pods of its own.
			all = waitPods("2 owned pods", func(ps []corev1.Pod) bool { return countOwned(ps) == 2 })
		})
	}
}

// TestOrphanPodsLoseTrackingFinalizer: a pod with the tracking finalizer
// that no Job controls gets the finalizer removed, so it (and its
// namespace) can be deleted.
func TestOrphanPodsLoseTrackingFinalizer(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := startWithBackoff(t, s)
	pods := s.Client.CoreV1().Pods("default")
	for _, tc := range []struct {
		name  string
		owner []metav1.OwnerReference
		patch string // applied after create, if set
	}{
		{name: "created-orphan"},
		{name: "owner-removed", owner: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: "gone", UID: "0000-gone", Controller: ptrTrue()}},
			patch: `{"metadata":{"ownerReferences":null}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: tc.name, Finalizers: []string{batchv1.JobTrackingFinalizer}, OwnerReferences: tc.owner},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
			if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			if tc.patch != "" {
				if _, err := pods.Patch(ctx, tc.name, types.MergePatchType, []byte(tc.patch), metav1.PatchOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			controllertest.Eventually(t, "the tracking finalizer to be removed", func(ctx context.Context) (bool, error) {
				got, err := pods.Get(ctx, tc.name, metav1.GetOptions{})
				return err == nil && !slices.Contains(got.Finalizers, batchv1.JobTrackingFinalizer), nil
			})
		})
	}
}

func ptrTrue() *bool { b := true; return &b }
