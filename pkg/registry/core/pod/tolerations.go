package pod

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// DefaultTolerationSeconds is how long a pod stays on a not-ready or
// unreachable node before taint-based eviction, unless it says otherwise
// (upstream's DefaultTolerationSeconds admission, 300 s).
const DefaultTolerationSeconds = 300

// addDefaultTolerations gives a new pod NoExecute tolerations of
// DefaultTolerationSeconds for the not-ready and unreachable taints,
// unless it already tolerates them.
func addDefaultTolerations(p *corev1.Pod) {
	for _, key := range []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable} {
		taint := corev1.Taint{Key: key, Effect: corev1.TaintEffectNoExecute}
		tolerated := false
		for i := range p.Spec.Tolerations {
			t := &p.Spec.Tolerations[i]
			// As upstream: any toleration for this key and effect (or
			// every effect) counts, whatever its seconds.
			if (t.Key == key || (t.Key == "" && t.Operator == corev1.TolerationOpExists)) &&
				(t.Effect == "" || t.Effect == taint.Effect) {
				tolerated = true
				break
			}
		}
		if !tolerated {
			p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{
				Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute,
				TolerationSeconds: ptr.To[int64](DefaultTolerationSeconds),
			})
		}
	}
}
