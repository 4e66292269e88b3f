package validation

import (
	"encoding/json"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// fuzzTypes builds an empty object of every type the package switches on.
var fuzzTypes = []func() runtime.Object{
	func() runtime.Object { return &corev1.Pod{} },
	func() runtime.Object { return &corev1.PodTemplate{} },
	func() runtime.Object { return &corev1.ReplicationController{} },
	func() runtime.Object { return &corev1.Service{} },
	func() runtime.Object { return &corev1.Endpoints{} },
	func() runtime.Object { return &corev1.ConfigMap{} },
	func() runtime.Object { return &corev1.Secret{} },
	func() runtime.Object { return &corev1.Namespace{} },
	func() runtime.Object { return &corev1.Node{} },
	func() runtime.Object { return &corev1.ServiceAccount{} },
	func() runtime.Object { return &corev1.Event{} },
	func() runtime.Object { return &corev1.LimitRange{} },
	func() runtime.Object { return &corev1.ResourceQuota{} },
	func() runtime.Object { return &corev1.PersistentVolume{} },
	func() runtime.Object { return &corev1.PersistentVolumeClaim{} },
	func() runtime.Object { return &corev1.Binding{} },
	func() runtime.Object { return &appsv1.Deployment{} },
	func() runtime.Object { return &appsv1.ReplicaSet{} },
	func() runtime.Object { return &appsv1.StatefulSet{} },
	func() runtime.Object { return &appsv1.DaemonSet{} },
	func() runtime.Object { return &appsv1.ControllerRevision{} },
	func() runtime.Object { return &batchv1.Job{} },
	func() runtime.Object { return &batchv1.CronJob{} },
	func() runtime.Object { return &discoveryv1.EndpointSlice{} },
	func() runtime.Object { return &eventsv1.Event{} },
	func() runtime.Object { return &coordinationv1.Lease{} },
	func() runtime.Object { return &policyv1.PodDisruptionBudget{} },
	func() runtime.Object { return &policyv1.Eviction{} },
	func() runtime.Object { return &rbacv1.Role{} },
	func() runtime.Object { return &rbacv1.ClusterRole{} },
	func() runtime.Object { return &rbacv1.RoleBinding{} },
	func() runtime.Object { return &rbacv1.ClusterRoleBinding{} },
	func() runtime.Object { return &schedulingv1.PriorityClass{} },
	func() runtime.Object { return &storagev1.StorageClass{} },
	func() runtime.Object { return &autoscalingv1.Scale{} },
	func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} },
	func() runtime.Object { return &authnv1.SelfSubjectReview{} },
}

// FuzzValidate decodes fuzzed JSON into every served type, with and without
// defaulting, and checks that no entry point panics. The old object of an
// update is decoded from a second input so the immutability code sees
// arbitrary pairs.
func FuzzValidate(f *testing.F) {
	for _, obj := range fixtures(f) {
		b, err := json.Marshal(obj)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, b, uint8(0))
	}
	f.Add([]byte(`{"spec":{"containers":[{}],"volumes":[{}]}}`), []byte(`{"spec":{"containers":[]}}`), uint8(0))
	f.Add([]byte(`{"spec":{"template":{"spec":{"containers":[{"resources":{"requests":{"cpu":"-1"}}}]}},"selector":{"matchExpressions":[{"operator":"Bad"}]}}}`),
		[]byte(`{}`), uint8(0))
	f.Fuzz(func(t *testing.T, a, b []byte, pick uint8) {
		for i, mk := range fuzzTypes {
			if uint8(i)%8 != pick%8 && pick >= 8 {
				continue // pick>=8 focuses on a slice of types per input
			}
			obj, old := mk(), mk()
			if json.Unmarshal(a, obj) != nil || json.Unmarshal(b, old) != nil {
				continue
			}
			ValidateCreate(obj)
			ValidateUpdate(obj, old)
			ValidateStatusUpdate(obj, old)
			defaulter.Default(obj)
			defaulter.Default(old)
			ValidateCreate(obj)
			ValidateUpdate(obj, old)
			ValidateStatusUpdate(obj, old)
		}
	})
}
