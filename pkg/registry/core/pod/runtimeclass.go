package pod

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// RuntimeClass is upstream's RuntimeClass admission for pods, on create:
// a pod naming spec.runtimeClassName gets the class's overhead
// (spec.overhead) and its scheduling constraints (nodeSelector merged,
// tolerations merged); a pod naming a class that does not exist, setting
// an overhead the class does not define, or whose nodeSelector conflicts
// with the class's, is Forbidden with upstream's messages.
type RuntimeClass struct {
	Classes *generic.Store
}

// Admit admits a pod create (the RuntimeClass plugin of
// pkg/registry/admission.go). It does upstream's mutating and validating
// halves at once, in the mutating position: unlike upstream, an overhead
// a MutatingAdmissionPolicy changes later is not checked again.
func (r RuntimeClass) Admit(ctx context.Context, obj runtime.Object, _ bool) error {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil
	}
	forbidden := func(err error) error {
		return apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, pod.Name, err)
	}
	var rc *nodev1.RuntimeClass
	if name := pod.Spec.RuntimeClassName; name != nil {
		obj, err := r.Classes.GetFromCache(ctx, "", *name)
		if apierrors.IsNotFound(err) {
			return forbidden(fmt.Errorf("pod rejected: RuntimeClass %q not found", *name))
		}
		if err != nil {
			return fmt.Errorf("getting RuntimeClass %q: %w", *name, err)
		}
		rc = obj.(*nodev1.RuntimeClass)
	}
	if rc == nil || rc.Overhead == nil {
		if pod.Spec.Overhead != nil {
			return forbidden(errors.New("pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"))
		}
	} else {
		if len(pod.Spec.Overhead) > 0 && !apiequality.Semantic.DeepEqual(rc.Overhead.PodFixed, pod.Spec.Overhead) {
			return forbidden(errors.New("pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead"))
		}
		pod.Spec.Overhead = rc.Overhead.PodFixed.DeepCopy()
	}
	if rc == nil || rc.Scheduling == nil {
		return nil
	}
	sel := pod.Spec.NodeSelector
	for k, v := range rc.Scheduling.NodeSelector {
		if have, ok := sel[k]; ok && have != v {
			return forbidden(fmt.Errorf("conflict: runtimeClass.scheduling.nodeSelector[%s] = %s; pod.spec.nodeSelector[%s] = %s", k, v, k, have))
		}
		if sel == nil {
			sel = map[string]string{}
		}
		sel[k] = v
	}
	pod.Spec.NodeSelector = sel
	pod.Spec.Tolerations = mergeTolerations(pod.Spec.Tolerations, rc.Scheduling.Tolerations)
	return nil
}

// mergeTolerations adds the class's tolerations to the pod's, leaving out
// any that another toleration of the result already covers (and dropping
// a pod toleration an added one covers), as upstream merges them.
func mergeTolerations(pod, class []corev1.Toleration) []corev1.Toleration {
	out := append([]corev1.Toleration(nil), pod...)
	for _, t := range class {
		covered := false
		for i := range out {
			if coversToleration(&out[i], &t) {
				covered = true
				break
			}
		}
		if covered {
			continue
		}
		kept := out[:0]
		for _, o := range out {
			if !coversToleration(&t, &o) {
				kept = append(kept, o)
			}
		}
		out = append(kept, t)
	}
	return out
}

// coversToleration reports whether a tolerates everything b does.
func coversToleration(a, b *corev1.Toleration) bool {
	if a.Effect != "" && a.Effect != b.Effect {
		return false
	}
	if a.Effect == corev1.TaintEffectNoExecute || a.Effect == "" {
		// Fewer seconds tolerate less; nil is forever.
		if a.TolerationSeconds != nil && (b.TolerationSeconds == nil || *a.TolerationSeconds < *b.TolerationSeconds) {
			return false
		}
	}
	aExists := a.Operator == corev1.TolerationOpExists
	switch {
	case aExists && a.Key == "":
		return true
	case a.Key != b.Key:
		return false
	case aExists:
		return true
	}
	return b.Operator != corev1.TolerationOpExists && a.Value == b.Value
}
