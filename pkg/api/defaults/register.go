package defaults

import (
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// RegisterDefaults makes s.Default(obj) apply the upstream v1 defaults to
// every served type that has any, and to its List type item by item.
//
// Types upstream has no defaults for (Event, Lease, PodDisruptionBudget,
// ServiceAccount, ControllerRevision, Role, ClusterRole…) are left
// unregistered, so Default is a no-op for them, as upstream.
func RegisterDefaults(s *runtime.Scheme) error {
	// core/v1
	register(s, pod, func(l *corev1.PodList) []corev1.Pod { return l.Items })
	register(s, podTemplate, func(l *corev1.PodTemplateList) []corev1.PodTemplate { return l.Items })
	register(s, replicationController, func(l *corev1.ReplicationControllerList) []corev1.ReplicationController { return l.Items })
	register(s, service, func(l *corev1.ServiceList) []corev1.Service { return l.Items })
	register(s, namespace, func(l *corev1.NamespaceList) []corev1.Namespace { return l.Items })
	register(s, node, func(l *corev1.NodeList) []corev1.Node { return l.Items })
	register(s, persistentVolume, func(l *corev1.PersistentVolumeList) []corev1.PersistentVolume { return l.Items })
	register(s, persistentVolumeClaim, func(l *corev1.PersistentVolumeClaimList) []corev1.PersistentVolumeClaim { return l.Items })
	register(s, secret, func(l *corev1.SecretList) []corev1.Secret { return l.Items })
	register(s, configMap, func(l *corev1.ConfigMapList) []corev1.ConfigMap { return l.Items })
	register(s, endpoints, func(l *corev1.EndpointsList) []corev1.Endpoints { return l.Items })
	register(s, limitRange, func(l *corev1.LimitRangeList) []corev1.LimitRange { return l.Items })
	register(s, resourceQuota, func(l *corev1.ResourceQuotaList) []corev1.ResourceQuota { return l.Items })
	s.AddTypeDefaultingFunc(&corev1.PodLogOptions{}, func(o any) { podLogOptions(o.(*corev1.PodLogOptions)) })

	// authentication.k8s.io/v1 (serviceaccounts/token)
	s.AddTypeDefaultingFunc(&authenticationv1.TokenRequest{}, func(o any) { tokenRequest(o.(*authenticationv1.TokenRequest)) })

	// apps/v1
	register(s, deployment, func(l *appsv1.DeploymentList) []appsv1.Deployment { return l.Items })
	register(s, replicaSet, func(l *appsv1.ReplicaSetList) []appsv1.ReplicaSet { return l.Items })
	register(s, statefulSet, func(l *appsv1.StatefulSetList) []appsv1.StatefulSet { return l.Items })
	register(s, daemonSet, func(l *appsv1.DaemonSetList) []appsv1.DaemonSet { return l.Items })

	// autoscaling/v2 and v1
	register(s, func(h *autoscalingv1.HorizontalPodAutoscaler) {
		if h.Spec.MinReplicas == nil {
			h.Spec.MinReplicas = new(int32(1))
		}
	}, func(l *autoscalingv1.HorizontalPodAutoscalerList) []autoscalingv1.HorizontalPodAutoscaler {
		return l.Items
	})
	register(s, horizontalPodAutoscaler, func(l *autoscalingv2.HorizontalPodAutoscalerList) []autoscalingv2.HorizontalPodAutoscaler {
		return l.Items
	})

	// batch/v1
	register(s, job, func(l *batchv1.JobList) []batchv1.Job { return l.Items })
	register(s, cronJob, func(l *batchv1.CronJobList) []batchv1.CronJob { return l.Items })

	// rbac.authorization.k8s.io/v1
	register(s, func(b *rbacv1.RoleBinding) { roleBinding(&b.RoleRef, b.Subjects) },
		func(l *rbacv1.RoleBindingList) []rbacv1.RoleBinding { return l.Items })
	register(s, func(b *rbacv1.ClusterRoleBinding) { roleBinding(&b.RoleRef, b.Subjects) },
		func(l *rbacv1.ClusterRoleBindingList) []rbacv1.ClusterRoleBinding { return l.Items })

	// scheduling.k8s.io/v1, storage.k8s.io/v1, discovery.k8s.io/v1
	register(s, priorityClass, func(l *schedulingv1.PriorityClassList) []schedulingv1.PriorityClass { return l.Items })
	register(s, storageClass, func(l *storagev1.StorageClassList) []storagev1.StorageClass { return l.Items })
	register(s, endpointSlice, func(l *discoveryv1.EndpointSliceList) []discoveryv1.EndpointSlice { return l.Items })
	register(s, csiDriver, func(l *storagev1.CSIDriverList) []storagev1.CSIDriver { return l.Items })

	// networking.k8s.io/v1
	register(s, networkPolicy, func(l *networkingv1.NetworkPolicyList) []networkingv1.NetworkPolicy { return l.Items })
	register(s, ingressClass, func(l *networkingv1.IngressClassList) []networkingv1.IngressClass { return l.Items })

	registerResource(s) // resource.k8s.io/v1
	return nil
}

// register adds the defaulter fn for *T, and one for the list type *L that
// defaults each of the list's items in place.
func register[T any, PT interface {
	*T
	runtime.Object
}, L any, PL interface {
	*L
	runtime.Object
}](s *runtime.Scheme, fn func(PT), items func(PL) []T) {
	s.AddTypeDefaultingFunc(PT(new(T)), func(o any) { fn(o.(PT)) })
	s.AddTypeDefaultingFunc(PL(new(L)), func(o any) {
		it := items(o.(PL))
		for i := range it {
			fn(PT(&it[i]))
		}
	})
}
