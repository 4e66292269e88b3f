package controller_test

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/controller"
)

func ownedPod(kind, apiVersion string) *corev1.Pod {
	yes := true
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", OwnerReferences: []metav1.OwnerReference{
		{APIVersion: apiVersion, Kind: kind, Name: "owner", UID: "u", Controller: &yes},
	}}}
}

// TestUnwrap: an object and a tombstone holding it unwrap alike; the
// wrong type does not.
func TestUnwrap(t *testing.T) {
	pod := ownedPod("ReplicaSet", "apps/v1")
	for _, obj := range []any{pod, cache.DeletedFinalStateUnknown{Key: "ns/p", Obj: pod}} {
		if got, ok := controller.Unwrap[*corev1.Pod](obj); !ok || got != pod {
			t.Errorf("Unwrap(%T) = %v, %v", obj, got, ok)
		}
		if _, ok := controller.Unwrap[*corev1.Node](obj); ok {
			t.Errorf("Unwrap[*Node](%T) succeeded", obj)
		}
	}
}

// TestOwnerHandler: events of an object controlled by the kind queue its
// owner, tombstones included; other kinds and versions are ignored.
func TestOwnerHandler(t *testing.T) {
	kind := appsv1.SchemeGroupVersion.WithKind("StatefulSet")
	for _, tc := range []struct {
		name string
		obj  any
		want bool
	}{
		{"owned", ownedPod("StatefulSet", "apps/v1"), true},
		{"tombstone", cache.DeletedFinalStateUnknown{Obj: ownedPod("StatefulSet", "apps/v1")}, true},
		{"other kind", ownedPod("DaemonSet", "apps/v1"), false},
		{"other version", ownedPod("StatefulSet", "apps/v1beta1"), false},
		{"orphan", &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := workqueue.NewTyped[cache.ObjectName]()
			defer q.ShutDown()
			controller.OwnerHandler(q, kind).OnDelete(tc.obj)
			if got := q.Len() == 1; got != tc.want {
				t.Fatalf("queued %d keys, want owner queued: %v", q.Len(), tc.want)
			}
			if tc.want {
				if key, _ := q.Get(); key != cache.NewObjectName("ns", "owner") {
					t.Errorf("queued %v", key)
				}
			}
		})
	}
}
