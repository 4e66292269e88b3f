package validation

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateCreate validates obj for creation. The object must already be
// defaulted and have its name generated.
func ValidateCreate(obj runtime.Object) field.ErrorList {
	switch o := obj.(type) {
	case *corev1.Pod:
		return validatePod(o)
	case *corev1.PodTemplate:
		return validatePodTemplate(o)
	case *corev1.ReplicationController:
		return validateReplicationController(o)
	case *appsv1.Deployment:
		return validateDeployment(o)
	case *appsv1.ReplicaSet:
		return validateReplicaSet(o)
	case *appsv1.StatefulSet:
		return validateStatefulSet(o)
	case *appsv1.DaemonSet:
		return validateDaemonSet(o)
	case *appsv1.ControllerRevision:
		return validateControllerRevision(o)
	case *batchv1.Job:
		return validateJob(o)
	case *batchv1.CronJob:
		return validateCronJob(o)
	case *corev1.Service:
		return validateService(o)
	case *corev1.Endpoints:
		return validateEndpoints(o)
	case *discoveryv1.EndpointSlice:
		return validateEndpointSlice(o)
	case *corev1.ConfigMap:
		return validateConfigMap(o)
	case *corev1.Secret:
		return validateSecret(o)
	case *corev1.Namespace:
		return validateNamespace(o)
	case *corev1.Node:
		return validateNode(o)
	case *corev1.ServiceAccount:
		return objectMeta(&o.ObjectMeta, true, nameIsDNSSubdomain)
	case *corev1.Event:
		return validateEvent(o)
	case *eventsv1.Event:
		return validateEventsV1(o)
	case *corev1.LimitRange:
		return validateLimitRange(o)
	case *corev1.ResourceQuota:
		return validateResourceQuota(o)
	case *corev1.PersistentVolume:
		return validatePersistentVolume(o)
	case *corev1.PersistentVolumeClaim:
		return validatePersistentVolumeClaim(o)
	case *corev1.Binding:
		return validateBinding(o)
	case *coordinationv1.Lease:
		return validateLease(o)
	case *policyv1.PodDisruptionBudget:
		return validatePodDisruptionBudget(o)
	case *policyv1.Eviction:
		return nil
	case *rbacv1.Role:
		return validateRole(o)
	case *rbacv1.ClusterRole:
		return validateClusterRole(o)
	case *rbacv1.RoleBinding:
		return validateRoleBinding(o)
	case *rbacv1.ClusterRoleBinding:
		return validateClusterRoleBinding(o)
	case *schedulingv1.PriorityClass:
		return validatePriorityClass(o)
	case *storagev1.StorageClass:
		return validateStorageClass(o)
	case *storagev1.CSIDriver:
		return validateCSIDriver(o)
	case *storagev1.CSINode:
		return validateCSINode(o)
	case *storagev1.VolumeAttachment:
		return validateVolumeAttachment(o)
	case *networkingv1.Ingress:
		return validateIngress(o)
	case *networkingv1.IngressClass:
		return validateIngressClass(o)
	case *networkingv1.NetworkPolicy:
		return validateNetworkPolicy(o)
	case *nodev1.RuntimeClass:
		return validateRuntimeClass(o)
	case *certificatesv1.CertificateSigningRequest:
		return validateCSR(o)
	case *autoscalingv1.Scale:
		return validateScale(o)
	case *autoscalingv2.HorizontalPodAutoscaler:
		return validateHorizontalPodAutoscaler(o)
	case *authnv1.SelfSubjectReview:
		return nil
	}
	return unknownMeta(obj)
}

// ValidateUpdate validates obj replacing old: metadata update rules, the
// create-time rules applied to the new object, and immutable fields.
func ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	if errs := sameType(obj, old); errs != nil {
		return errs
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		return validatePodUpdate(o, old.(*corev1.Pod))
	case *corev1.PodTemplate:
		return withMetaUpdate(&o.ObjectMeta, &old.(*corev1.PodTemplate).ObjectMeta, validatePodTemplateSpecFor(&o.Template, field.NewPath("template"), nil))
	case *corev1.ReplicationController:
		return validateReplicationControllerUpdate(o, old.(*corev1.ReplicationController))
	case *appsv1.Deployment:
		return validateDeploymentUpdate(o, old.(*appsv1.Deployment))
	case *appsv1.ReplicaSet:
		return validateReplicaSetUpdate(o, old.(*appsv1.ReplicaSet))
	case *appsv1.StatefulSet:
		return validateStatefulSetUpdate(o, old.(*appsv1.StatefulSet))
	case *appsv1.DaemonSet:
		return validateDaemonSetUpdate(o, old.(*appsv1.DaemonSet))
	case *appsv1.ControllerRevision:
		return validateControllerRevisionUpdate(o, old.(*appsv1.ControllerRevision))
	case *batchv1.Job:
		return validateJobUpdate(o, old.(*batchv1.Job))
	case *batchv1.CronJob:
		return validateCronJobUpdate(o, old.(*batchv1.CronJob))
	case *corev1.Service:
		return validateServiceUpdate(o, old.(*corev1.Service))
	case *corev1.Endpoints:
		return withMetaUpdate(&o.ObjectMeta, &old.(*corev1.Endpoints).ObjectMeta, validateEndpointSubsets(o.Subsets, field.NewPath("subsets")))
	case *discoveryv1.EndpointSlice:
		return validateEndpointSliceUpdate(o, old.(*discoveryv1.EndpointSlice))
	case *corev1.ConfigMap:
		return validateConfigMapUpdate(o, old.(*corev1.ConfigMap))
	case *corev1.Secret:
		return validateSecretUpdate(o, old.(*corev1.Secret))
	case *corev1.Namespace:
		return withMetaUpdate(&o.ObjectMeta, &old.(*corev1.Namespace).ObjectMeta, validateNamespaceSpec(o))
	case *corev1.Node:
		return validateNodeUpdate(o, old.(*corev1.Node))
	case *corev1.Event:
		return withMetaUpdate(&o.ObjectMeta, &old.(*corev1.Event).ObjectMeta, validateEventBody(o))
	case *eventsv1.Event:
		return withMetaUpdate(&o.ObjectMeta, &old.(*eventsv1.Event).ObjectMeta, validateEventsV1Body(o))
	case *corev1.LimitRange:
		return withMetaUpdate(&o.ObjectMeta, &old.(*corev1.LimitRange).ObjectMeta, validateLimitRangeSpec(&o.Spec, field.NewPath("spec")))
	case *corev1.ResourceQuota:
		return validateResourceQuotaUpdate(o, old.(*corev1.ResourceQuota))
	case *corev1.PersistentVolume:
		return validatePersistentVolumeUpdate(o, old.(*corev1.PersistentVolume))
	case *corev1.PersistentVolumeClaim:
		return validatePersistentVolumeClaimUpdate(o, old.(*corev1.PersistentVolumeClaim))
	case *coordinationv1.Lease:
		return withMetaUpdate(&o.ObjectMeta, &old.(*coordinationv1.Lease).ObjectMeta, validateLeaseSpec(&o.Spec, field.NewPath("spec")))
	case *policyv1.PodDisruptionBudget:
		return withMetaUpdate(&o.ObjectMeta, &old.(*policyv1.PodDisruptionBudget).ObjectMeta, validatePDBSpec(&o.Spec, field.NewPath("spec")))
	case *rbacv1.Role:
		return withMetaUpdate(&o.ObjectMeta, &old.(*rbacv1.Role).ObjectMeta, validateRules(o.Rules, true, field.NewPath("rules")))
	case *rbacv1.ClusterRole:
		return withMetaUpdate(&o.ObjectMeta, &old.(*rbacv1.ClusterRole).ObjectMeta, validateClusterRoleBody(o))
	case *rbacv1.RoleBinding:
		return validateRoleBindingUpdate(o, old.(*rbacv1.RoleBinding))
	case *rbacv1.ClusterRoleBinding:
		return validateClusterRoleBindingUpdate(o, old.(*rbacv1.ClusterRoleBinding))
	case *schedulingv1.PriorityClass:
		return validatePriorityClassUpdate(o, old.(*schedulingv1.PriorityClass))
	case *storagev1.StorageClass:
		return validateStorageClassUpdate(o, old.(*storagev1.StorageClass))
	case *storagev1.CSIDriver:
		return validateCSIDriverUpdate(o, old.(*storagev1.CSIDriver))
	case *storagev1.CSINode:
		return validateCSINodeUpdate(o, old.(*storagev1.CSINode))
	case *storagev1.VolumeAttachment:
		return validateVolumeAttachmentUpdate(o, old.(*storagev1.VolumeAttachment))
	case *networkingv1.Ingress:
		return validateIngressUpdate(o, old.(*networkingv1.Ingress))
	case *networkingv1.IngressClass:
		return validateIngressClassUpdate(o, old.(*networkingv1.IngressClass))
	case *networkingv1.NetworkPolicy:
		return validateNetworkPolicyUpdate(o, old.(*networkingv1.NetworkPolicy))
	case *nodev1.RuntimeClass:
		return validateRuntimeClassUpdate(o, old.(*nodev1.RuntimeClass))
	case *certificatesv1.CertificateSigningRequest:
		return validateCSRUpdate(o, old.(*certificatesv1.CertificateSigningRequest))
	case *corev1.ServiceAccount:
		return metaUpdate(&o.ObjectMeta, &old.(*corev1.ServiceAccount).ObjectMeta)
	case *autoscalingv1.Scale:
		return validateScale(o)
	case *autoscalingv2.HorizontalPodAutoscaler:
		return validateHorizontalPodAutoscalerUpdate(o, old.(*autoscalingv2.HorizontalPodAutoscaler))
	case *corev1.Binding, *policyv1.Eviction, *authnv1.SelfSubjectReview:
		return nil
	}
	return unknownMetaUpdate(obj, old)
}

// ValidateStatusUpdate validates a write to the status subresource: the
// metadata update rules plus sanity checks on the new status.
func ValidateStatusUpdate(obj, old runtime.Object) field.ErrorList {
	if errs := sameType(obj, old); errs != nil {
		return errs
	}
	errs := unknownMetaUpdate(obj, old)
	status := field.NewPath("status")
	switch o := obj.(type) {
	case *corev1.Pod:
		errs = append(errs, validatePodStatus(o, old.(*corev1.Pod))...)
	case *corev1.ReplicationController:
		s := o.Status
		errs = append(errs, replicaStatus(s.Replicas, s.ReadyReplicas, s.AvailableReplicas, "fullyLabeledReplicas", s.FullyLabeledReplicas, s.ObservedGeneration, status)...)
	case *appsv1.Deployment:
		s := o.Status
		errs = append(errs, replicaStatus(s.Replicas, s.ReadyReplicas, s.AvailableReplicas, "updatedReplicas", s.UpdatedReplicas, s.ObservedGeneration, status)...)
		errs = append(errs, nonNegative(int64(s.UnavailableReplicas), status.Child("unavailableReplicas"))...)
		if s.CollisionCount != nil {
			errs = append(errs, nonNegative(int64(*s.CollisionCount), status.Child("collisionCount"))...)
		}
	case *appsv1.ReplicaSet:
		s := o.Status
		errs = append(errs, replicaStatus(s.Replicas, s.ReadyReplicas, s.AvailableReplicas, "fullyLabeledReplicas", s.FullyLabeledReplicas, s.ObservedGeneration, status)...)
	case *appsv1.StatefulSet:
		s := o.Status
		errs = append(errs, replicaStatus(s.Replicas, s.ReadyReplicas, s.AvailableReplicas, "currentReplicas", s.CurrentReplicas, s.ObservedGeneration, status)...)
		errs = append(errs, nonNegative(int64(s.UpdatedReplicas), status.Child("updatedReplicas"))...)
	case *appsv1.DaemonSet:
		s := o.Status
		for name, v := range map[string]int32{
			"currentNumberScheduled": s.CurrentNumberScheduled, "numberMisscheduled": s.NumberMisscheduled,
			"desiredNumberScheduled": s.DesiredNumberScheduled, "numberReady": s.NumberReady,
			"updatedNumberScheduled": s.UpdatedNumberScheduled, "numberAvailable": s.NumberAvailable,
			"numberUnavailable": s.NumberUnavailable,
		} {
			errs = append(errs, nonNegative(int64(v), status.Child(name))...)
		}
		errs = append(errs, nonNegative(s.ObservedGeneration, status.Child("observedGeneration"))...)
	case *batchv1.Job:
		s := o.Status
		errs = append(errs, nonNegative(int64(s.Active), status.Child("active"))...)
		errs = append(errs, nonNegative(int64(s.Succeeded), status.Child("succeeded"))...)
		errs = append(errs, nonNegative(int64(s.Failed), status.Child("failed"))...)
		if s.Ready != nil {
			errs = append(errs, nonNegative(int64(*s.Ready), status.Child("ready"))...)
		}
	case *corev1.Service:
		errs = append(errs, validateLoadBalancerStatus(&o.Status.LoadBalancer, status.Child("loadBalancer"))...)
	case *networkingv1.Ingress:
		errs = append(errs, validateIngressStatus(o)...)
	case *corev1.PersistentVolume:
		errs = append(errs, validatePVStatus(o)...)
	case *corev1.PersistentVolumeClaim:
		errs = append(errs, validateResourceList(o.Status.Capacity, status.Child("capacity"))...)
	case *corev1.ResourceQuota:
		errs = append(errs, validateResourceList(o.Status.Hard, status.Child("hard"))...)
		errs = append(errs, validateResourceList(o.Status.Used, status.Child("used"))...)
	case *corev1.Node:
		errs = append(errs, validateResourceList(o.Status.Capacity, status.Child("capacity"))...)
		errs = append(errs, validateResourceList(o.Status.Allocatable, status.Child("allocatable"))...)
	case *policyv1.PodDisruptionBudget:
		s := o.Status
		for name, v := range map[string]int32{
			"disruptionsAllowed": s.DisruptionsAllowed, "currentHealthy": s.CurrentHealthy,
			"desiredHealthy": s.DesiredHealthy, "expectedPods": s.ExpectedPods,
		} {
			errs = append(errs, nonNegative(int64(v), status.Child(name))...)
		}
	}
	return errs
}

// sameType rejects an update whose old object is of a different Go type; that
// is a server bug, not a user error.
func sameType(obj, old runtime.Object) field.ErrorList {
	if obj == nil || old == nil {
		return field.ErrorList{field.InternalError(nil, fmt.Errorf("nil object in update"))}
	}
	if fmt.Sprintf("%T", obj) != fmt.Sprintf("%T", old) {
		return field.ErrorList{field.InternalError(nil, fmt.Errorf("update of %T with old object %T", obj, old))}
	}
	return nil
}

// unknownMeta validates the metadata of a kind this package has no rules for:
// DNS-subdomain name, namespace checked only when present.
func unknownMeta(obj runtime.Object) field.ErrorList {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil
	}
	return apimachineryvalidation.ValidateObjectMetaAccessor(m, m.GetNamespace() != "", nameIsDNSSubdomain, metadataPath)
}

func unknownMetaUpdate(obj, old runtime.Object) field.ErrorList {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil
	}
	o, err := meta.Accessor(old)
	if err != nil {
		return nil
	}
	return withoutResourceVersion(apimachineryvalidation.ValidateObjectMetaAccessorUpdate(m, o, metadataPath))
}
