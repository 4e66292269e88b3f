package controller

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// EnqueueName returns an event handler func that adds the namespace/name
// of the object it is given to queue (a delete's tombstone is unwrapped).
func EnqueueName(queue workqueue.TypedInterface[cache.ObjectName]) func(obj any) {
	return func(obj any) {
		if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		if m, ok := obj.(metav1.Object); ok {
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

// PodSelectorHandler returns pod event handlers for a controller whose
// objects select pods by label (services, budgets): on every pod event it
// adds to queue the keys selecting returns for the pod's namespace and
// labels; on an update oldLabels are the pod's labels before (so an
// object that stops selecting the pod hears of it too), otherwise nil.
func PodSelectorHandler(queue workqueue.TypedInterface[cache.ObjectName],
	selecting func(ns string, labels, oldLabels map[string]string) []cache.ObjectName) cache.ResourceEventHandlerFuncs {
	enqueue := func(obj any, oldLabels map[string]string) {
		if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		pod, ok := obj.(*corev1.Pod)
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
