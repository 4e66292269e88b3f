package controller

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Unwrap returns obj as a T. A delete handler may be given a tombstone
// (cache.DeletedFinalStateUnknown: the informer missed the delete and
// learned of it from a relist) instead of the object; Unwrap looks
// inside it. ok is false if obj (or the tombstone's object) is no T.
func Unwrap[T any](obj any) (T, bool) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	t, ok := obj.(T)
	return t, ok
}

// EnqueueName returns an event handler func that adds the namespace/name
// of the object it is given to queue (a delete's tombstone is unwrapped).
func EnqueueName(queue workqueue.TypedInterface[cache.ObjectName]) func(obj any) {
	return func(obj any) {
		if m, ok := Unwrap[metav1.Object](obj); ok {
			queue.Add(cache.MetaObjectToName(m))
		}
	}
}

// NameHandler returns event handlers that add the object's
// namespace/name to queue on every add, update and delete: the handlers
// of a controller's own kind.
func NameHandler(queue workqueue.TypedInterface[cache.ObjectName]) cache.ResourceEventHandlerFuncs {
	enqueue := EnqueueName(queue)
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	}
}

// OwnerKey returns the namespace/name of obj's controller (its
// ownerReference with controller: true) if that controller is of kind;
// obj may be a tombstone.
func OwnerKey(obj any, kind schema.GroupVersionKind) (cache.ObjectName, bool) {
	m, ok := Unwrap[metav1.Object](obj)
	if !ok {
		return cache.ObjectName{}, false
	}
	ref := metav1.GetControllerOfNoCopy(m)
	if !RefersTo(ref, kind) {
		return cache.ObjectName{}, false
	}
	return cache.NewObjectName(m.GetNamespace(), ref.Name), true
}

// RefersTo reports whether ref is non-nil and points at an object of kind.
func RefersTo(ref *metav1.OwnerReference, kind schema.GroupVersionKind) bool {
	return ref != nil && ref.Kind == kind.Kind && ref.APIVersion == kind.GroupVersion().String()
}

// OwnerHandler returns event handlers for the objects a controller
// creates (a StatefulSet's pods, a CronJob's Jobs): on every add, update
// and delete they add to queue the key of the object's controller, if
// that controller is of kind.
func OwnerHandler(queue workqueue.TypedInterface[cache.ObjectName], kind schema.GroupVersionKind) cache.ResourceEventHandlerFuncs {
	enqueue := func(obj any) {
		if key, ok := OwnerKey(obj, kind); ok {
			queue.Add(key)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	}
}

// PodObserver is told which of its pods a controller has seen created
// and deleted (pkg/controller/expectations), keyed by the owner's
// namespace/name.
type PodObserver interface {
	CreationObserved(key string)
	DeletionObserved(key string, pod *corev1.Pod)
}

// OwnedPodHandler is OwnerHandler for the pods of a controller that
// keeps expectations: besides queueing the owner, it tells seen of each
// pod added, each pod that starts being deleted, and each pod deleted.
func OwnedPodHandler(queue workqueue.TypedInterface[cache.ObjectName], kind schema.GroupVersionKind, seen PodObserver) cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if key, ok := OwnerKey(obj, kind); ok {
				seen.CreationObserved(key.String())
				queue.Add(key)
			}
		},
		UpdateFunc: func(old, obj any) {
			key, ok := OwnerKey(obj, kind)
			if !ok {
				return
			}
			if pod := obj.(*corev1.Pod); old.(*corev1.Pod).DeletionTimestamp == nil && pod.DeletionTimestamp != nil {
				seen.DeletionObserved(key.String(), pod)
			}
			queue.Add(key)
		},
		DeleteFunc: func(obj any) {
			pod, ok := Unwrap[*corev1.Pod](obj)
			if !ok {
				return
			}
			if key, ok := OwnerKey(pod, kind); ok {
				seen.DeletionObserved(key.String(), pod)
				queue.Add(key)
			}
		},
	}
}

// PodSelectorHandler returns pod event handlers for a controller whose
// objects select pods by label (services, budgets): on every pod event it
// adds to queue the keys selecting returns for the pod's namespace and
// labels; on an update oldLabels are the pod's labels before (so an
// object that stops selecting the pod hears of it too), otherwise nil.
func PodSelectorHandler(queue workqueue.TypedInterface[cache.ObjectName],
	selecting func(ns string, labels, oldLabels map[string]string) []cache.ObjectName) cache.ResourceEventHandlerFuncs {
	enqueue := func(obj any, oldLabels map[string]string) {
		pod, ok := Unwrap[*corev1.Pod](obj)
		if !ok {
			return
		}
		for _, key := range selecting(pod.Namespace, pod.Labels, oldLabels) {
			queue.Add(key)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { enqueue(obj, nil) },
		UpdateFunc: func(old, obj any) { enqueue(obj, old.(*corev1.Pod).Labels) },
		DeleteFunc: func(obj any) { enqueue(obj, nil) },
	}
}
