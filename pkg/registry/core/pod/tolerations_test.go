package pod

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

func TestAddDefaultTolerations(t *testing.T) {
	own := corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists,
		Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](5)}
	for _, tc := range []struct {
		name string
		in   []corev1.Toleration
		want int // tolerations after
	}{
		{"none: both added", nil, 2},
		{"own unreachable kept, not-ready added", []corev1.Toleration{own}, 2},
		{"tolerate everything: nothing added", []corev1.Toleration{{Operator: corev1.TolerationOpExists}}, 1},
		{"other key: both added", []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists}}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &corev1.Pod{Spec: corev1.PodSpec{Tolerations: tc.in}}
			addDefaultTolerations(p)
			if len(p.Spec.Tolerations) != tc.want {
				t.Fatalf("tolerations = %+v", p.Spec.Tolerations)
			}
			for _, tol := range p.Spec.Tolerations {
				if tol.Key == corev1.TaintNodeUnreachable && tc.in != nil && tc.in[0].Key == tol.Key && *tol.TolerationSeconds != 5 {
					t.Errorf("own toleration changed: %+v", tol)
				}
			}
		})
	}
}
