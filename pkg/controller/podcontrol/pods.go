package podcontrol

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// IsActive: the pod counts towards its owner's replicas — it has not
// finished (Succeeded/Failed) and is not being deleted.
func IsActive(p *corev1.Pod) bool {
	return !isTerminal(p) && p.DeletionTimestamp == nil
}

// IsTerminating: the pod is being deleted but its containers may still
// run (status.terminatingReplicas counts these).
func IsTerminating(p *corev1.Pod) bool {
	return !isTerminal(p) && p.DeletionTimestamp != nil
}

func isTerminal(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// readyCondition returns the pod's Ready condition, or nil.
func readyCondition(p *corev1.Pod) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodReady {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// IsReady: the pod's Ready condition is True.
func IsReady(p *corev1.Pod) bool {
	c := readyCondition(p)
	return c != nil && c.Status == corev1.ConditionTrue
}

// IsAvailable: the pod has been ready for at least minReadySeconds at now.
func IsAvailable(p *corev1.Pod, minReadySeconds int32, now time.Time) bool {
	if !IsReady(p) {
		return false
	}
	if minReadySeconds == 0 {
		return true
	}
	since := readyCondition(p).LastTransitionTime
	return !since.IsZero() && !since.Add(time.Duration(minReadySeconds)*time.Second).After(now)
}

// NextAvailabilityCheck returns how long until the first of pods that is
// ready but not yet available becomes available, and false if none is
// waiting. Owners with minReadySeconds requeue themselves after it,
// because no watch event announces that a pod became available.
func NextAvailabilityCheck(pods []*corev1.Pod, minReadySeconds int32, now time.Time) (time.Duration, bool) {
	var next time.Duration
	found := false
	for _, p := range pods {
		if !IsReady(p) || IsAvailable(p, minReadySeconds, now) {
			continue
		}
		wait := time.Duration(minReadySeconds) * time.Second
		if since := readyCondition(p).LastTransitionTime; !since.IsZero() {
			wait = since.Add(wait).Sub(now)
		}
		if !found || wait < next {
			next, found = wait, true
		}
	}
	return next, found
}

// FromTemplate builds the pod an owner creates from its template: named
// "<owner>-" plus a random suffix by the server, with the template's
// labels, annotations and finalizers, and owner as its controller.
func FromTemplate(t *corev1.PodTemplateSpec, owner *metav1.OwnerReference, ownerName string) *corev1.Pod {
	t = t.DeepCopy()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: ownerName + "-",
			Labels:       t.Labels,
			Annotations:  t.Annotations,
			Finalizers:   t.Finalizers,
		},
		Spec: t.Spec,
	}
	if owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	return p
}

// ControllerIndex is the name of the pod informer index that ByController
// reads: the controller's UID for owned pods, OrphanKey(namespace) for
// pods without a controller.
const ControllerIndex = "tinykube.io/controller-uid"

// OrphanKey is the ControllerIndex value of pods in namespace that have
// no controller.
func OrphanKey(namespace string) string { return "orphan/" + namespace }

// AddControllerIndex adds ControllerIndex to a pod informer (once: other
// controllers built on the same shared informer may add it too). Call it
// before the informer starts.
func AddControllerIndex(inf cache.SharedIndexInformer) error {
	if _, ok := inf.GetIndexer().GetIndexers()[ControllerIndex]; ok {
		return nil
	}
	return inf.AddIndexers(cache.Indexers{ControllerIndex: func(obj any) ([]string, error) {
		m, ok := obj.(metav1.Object)
		if !ok {
			return nil, nil
		}
		if ref := metav1.GetControllerOfNoCopy(m); ref != nil {
			return []string{string(ref.UID)}, nil
		}
		return []string{OrphanKey(m.GetNamespace())}, nil
	}})
}

// ByController returns the pods the object with uid controls and, with
// orphans, the pods in namespace without a controller. The pods are
// informer-cache objects: never mutate them.
func ByController(idx cache.Indexer, namespace string, uid string, orphans bool) ([]*corev1.Pod, error) {
	keys := []string{uid}
	if orphans {
		keys = append(keys, OrphanKey(namespace))
	}
	var pods []*corev1.Pod
	for _, k := range keys {
		objs, err := idx.ByIndex(ControllerIndex, k)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			if p, ok := o.(*corev1.Pod); ok && p.Namespace == namespace {
				pods = append(pods, p)
			}
		}
	}
	return pods, nil
}
