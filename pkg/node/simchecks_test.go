package node

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestFailingImages(t *testing.T) {
	re, err := compileImagePatterns([]string{"*.invalid/*", " registry.example/broken/* ", "", "busybox:nope?"})
	if err != nil {
		t.Fatal(err)
	}
	a := &Agent{failingImages: re}
	for image, want := range map[string]bool{
		"registry.invalid/app":           true,
		"registry.example/broken/a/b:1":  true,
		"registry.example/fine/app":      false,
		"busybox":                        false,
		"busybox:nope1":                  true, // fully qualified it is docker.io/library/busybox:nope1: the pattern matches as written
		"docker.io/library/busybox:nope": false,
		"BUSYBOX":                        true, // does not parse
		"nginx@sha256:bad":               true,
	} {
		if got := a.failingImage(image); got != want {
			t.Errorf("failingImage(%q) = %v, want %v", image, got, want)
		}
	}
	if none, _ := compileImagePatterns(nil); none != nil {
		t.Errorf("no patterns: %v", none)
	}
	if (&Agent{}).failingImage("nginx") {
		t.Error("no patterns: nginx fails")
	}
}

func TestSimReadiness(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 10, 0, time.UTC)
	status := func() *corev1.PodStatus {
		return &corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{
			{Name: "a", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(now.Add(-2 * time.Second))}}},
			{Name: "b", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(now.Add(-9 * time.Second))}}},
			{Name: "c", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}},
		}}
	}
	pod := func(annotations map[string]string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: annotations}}
	}
	ready := func(s *corev1.PodStatus) (out []bool) {
		for _, cs := range s.ContainerStatuses {
			out = append(out, cs.Ready)
		}
		return out
	}
	s := status()
	if d := simReadiness(pod(nil), s, now); d != 0 || !ready(s)[0] || !ready(s)[1] {
		t.Errorf("no annotations: recheck %v, ready %v", d, ready(s))
	}
	s = status()
	if d := simReadiness(pod(map[string]string{AnnotationReadyAfter: "5s"}), s, now); d != 3*time.Second || ready(s)[0] || !ready(s)[1] || ready(s)[2] {
		t.Errorf("ready-after 5s: recheck %v, ready %v", d, ready(s))
	}
	s = status()
	if d := simReadiness(pod(map[string]string{AnnotationReady: "false"}), s, now); d != 0 || ready(s)[0] || ready(s)[1] {
		t.Errorf("ready false: recheck %v, ready %v", d, ready(s))
	}
	s = status()
	if d := simReadiness(pod(map[string]string{AnnotationReadyAfter: "soon"}), s, now); d != 0 || !ready(s)[0] {
		t.Errorf("unparsable ready-after: recheck %v, ready %v", d, ready(s))
	}
}
