package validation

import (
	"fmt"
	"reflect"

	admv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// rules is one kind's validation, as ValidateCreate, ValidateUpdate and
// ValidateStatusUpdate run it. update replaces the metadata and create
// checks for updates (it usually runs both itself); status, if set, is
// added to the metadata update checks of a /status write.
type rules struct {
	create func(obj runtime.Object) field.ErrorList
	update func(obj, old runtime.Object) field.ErrorList
	status func(obj, old runtime.Object) field.ErrorList
}

// rulesFor is the rules of the kind whose Go type is t.
type rulesFor struct {
	t reflect.Type
	rules
}

// kind types one kind's rules; nil create or update means the kind has
// nothing to check (Eviction, Binding and SelfSubjectReview bodies).
func kind[T runtime.Object](create func(T) field.ErrorList, update func(obj, old T) field.ErrorList,
	status func(obj, old T) field.ErrorList) rulesFor {
	r := rules{
		create: func(runtime.Object) field.ErrorList { return nil },
		update: func(runtime.Object, runtime.Object) field.ErrorList { return nil },
	}
	if create != nil {
		r.create = func(obj runtime.Object) field.ErrorList { return create(obj.(T)) }
	}
	if update != nil {
		r.update = func(obj, old runtime.Object) field.ErrorList { return update(obj.(T), old.(T)) }
	}
	if status != nil {
		r.status = func(obj, old runtime.Object) field.ErrorList { return status(obj.(T), old.(T)) }
	}
	return rulesFor{t: reflect.TypeFor[T](), rules: r}
}

// kinds is the validation of every built-in kind, keyed by Go type (one
// type per served kind): the per-resource validation hook the resource's
// row (api.Resources) reaches through its kind. A resource added with
// docs/adding-a-resource.md gets one line here; kinds not listed get only
// the generic metadata checks.
var kinds = byType(
	kind(validatePod, validatePodUpdate, validatePodStatus),
	kind(validatePodTemplate, func(o, old *corev1.PodTemplate) field.ErrorList {
		return withMetaUpdate(&o.ObjectMeta, &old.ObjectMeta, validatePodTemplateSpecFor(&o.Template, field.NewPath("template"), nil))
	}, nil),
	kind(validateReplicationController, validateReplicationControllerUpdate, func(o, _ *corev1.ReplicationController) (errs field.ErrorList) {
		status := field.NewPath("status")
		s := o.Status
		errs = append(errs, replicaStatus(s.Replicas, s.ReadyReplicas, s.AvailableReplicas, "fullyLabeledReplicas", s.FullyLabeledReplicas, s.ObservedGeneration, status)...)
		return errs
	}),
	kind(validateDeployment, validateDeploymentUpdate, func(o, _ *appsv1.Deployment) (errs field.ErrorList) {
		status := field.NewPath("status")
		s := o.Status
		errs = append(errs, replicaStatus(s.Replicas, s.ReadyReplicas, s.AvailableReplicas, "updatedReplicas", s.UpdatedReplicas, s.ObservedGeneration, status)...)
		errs = append(errs, nonNegative(int64(s.UnavailableReplicas), status.Child("unavailableReplicas"))...)
		if s.CollisionCount != nil {
			errs = append(errs, nonNegative(int64(*s.CollisionCount), status.Child("collisionCount"))...)
		}
		return errs
	}),
	kind(validateReplicaSet, validateReplicaSetUpdate, func(o, _ *appsv1.ReplicaSet) (errs field.ErrorList) {
		status := field.NewPath("status")
		s := o.Status
		errs = append(errs, replicaStatus(s.Replicas, s.ReadyReplicas, s.AvailableReplicas, "fullyLabeledReplicas", s.FullyLabeledReplicas, s.ObservedGeneration, status)...)
		return errs
	}),
	kind(validateStatefulSet, validateStatefulSetUpdate, func(o, _ *appsv1.StatefulSet) (errs field.ErrorList) {
		status := field.NewPath("status")
		s := o.Status
		errs = append(errs, replicaStatus(s.Replicas, s.ReadyReplicas, s.AvailableReplicas, "currentReplicas", s.CurrentReplicas, s.ObservedGeneration, status)...)
		errs = append(errs, nonNegative(int64(s.UpdatedReplicas), status.Child("updatedReplicas"))...)
		return errs
	}),
	kind(validateDaemonSet, validateDaemonSetUpdate, func(o, _ *appsv1.DaemonSet) (errs field.ErrorList) {
		status := field.NewPath("status")
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
		return errs
	}),
	kind(validateControllerRevision, validateControllerRevisionUpdate, nil),
	kind(validateJob, validateJobUpdate, func(o, _ *batchv1.Job) (errs field.ErrorList) {
		status := field.NewPath("status")
		s := o.Status
		errs = append(errs, nonNegative(int64(s.Active), status.Child("active"))...)
		errs = append(errs, nonNegative(int64(s.Succeeded), status.Child("succeeded"))...)
		errs = append(errs, nonNegative(int64(s.Failed), status.Child("failed"))...)
		if s.Ready != nil {
			errs = append(errs, nonNegative(int64(*s.Ready), status.Child("ready"))...)
		}
		return errs
	}),
	kind(validateCronJob, validateCronJobUpdate, nil),
	kind(validateService, validateServiceUpdate, func(o, _ *corev1.Service) (errs field.ErrorList) {
		status := field.NewPath("status")
		errs = append(errs, validateLoadBalancerStatus(&o.Status.LoadBalancer, status.Child("loadBalancer"))...)
		return errs
	}),
	kind(validateEndpoints, func(o, old *corev1.Endpoints) field.ErrorList {
		return withMetaUpdate(&o.ObjectMeta, &old.ObjectMeta, validateEndpointSubsets(o.Subsets, field.NewPath("subsets")))
	}, nil),
	kind(validateEndpointSlice, validateEndpointSliceUpdate, nil),
	kind(validateConfigMap, validateConfigMapUpdate, nil),
	kind(validateSecret, validateSecretUpdate, nil),
	kind(validateNamespace, func(o, old *corev1.Namespace) field.ErrorList {
		return withMetaUpdate(&o.ObjectMeta, &old.ObjectMeta, validateNamespaceSpec(o))
	}, nil),
	kind(validateNode, validateNodeUpdate, func(o, _ *corev1.Node) (errs field.ErrorList) {
		status := field.NewPath("status")
		errs = append(errs, validateResourceList(o.Status.Capacity, status.Child("capacity"))...)
		errs = append(errs, validateResourceList(o.Status.Allocatable, status.Child("allocatable"))...)
		return errs
	}),
	kind(func(o *corev1.ServiceAccount) field.ErrorList {
		return objectMeta(&o.ObjectMeta, true, nameIsDNSSubdomain)
	}, func(o, old *corev1.ServiceAccount) field.ErrorList {
		return metaUpdate(&o.ObjectMeta, &old.ObjectMeta)
	}, nil),
	kind(validateEvent, func(o, old *corev1.Event) field.ErrorList {
		return withMetaUpdate(&o.ObjectMeta, &old.ObjectMeta, validateEventBody(o))
	}, nil),
	kind(validateEventsV1, validateEventsV1Update, nil),
	kind(validateLimitRange, func(o, old *corev1.LimitRange) field.ErrorList {
		return withMetaUpdate(&o.ObjectMeta, &old.ObjectMeta, validateLimitRangeSpec(&o.Spec, field.NewPath("spec")))
	}, nil),
	kind(validateResourceQuota, validateResourceQuotaUpdate, func(o, _ *corev1.ResourceQuota) (errs field.ErrorList) {
		status := field.NewPath("status")
		errs = append(errs, validateResourceList(o.Status.Hard, status.Child("hard"))...)
		errs = append(errs, validateResourceList(o.Status.Used, status.Child("used"))...)
		return errs
	}),
	kind(validatePersistentVolume, validatePersistentVolumeUpdate, func(o, _ *corev1.PersistentVolume) (errs field.ErrorList) {
		errs = append(errs, validatePVStatus(o)...)
		return errs
	}),
	kind(validatePersistentVolumeClaim, validatePersistentVolumeClaimUpdate, func(o, _ *corev1.PersistentVolumeClaim) (errs field.ErrorList) {
		status := field.NewPath("status")
		errs = append(errs, validateResourceList(o.Status.Capacity, status.Child("capacity"))...)
		return errs
	}),
	kind[*corev1.Binding](validateBinding, nil, nil),
	kind(validateLease, func(o, old *coordinationv1.Lease) field.ErrorList {
		return withMetaUpdate(&o.ObjectMeta, &old.ObjectMeta, validateLeaseSpec(&o.Spec, field.NewPath("spec")))
	}, nil),
	kind(validatePodDisruptionBudget, func(o, old *policyv1.PodDisruptionBudget) field.ErrorList {
		return withMetaUpdate(&o.ObjectMeta, &old.ObjectMeta, validatePDBSpec(&o.Spec, field.NewPath("spec")))
	}, func(o, _ *policyv1.PodDisruptionBudget) (errs field.ErrorList) {
		status := field.NewPath("status")
		s := o.Status
		for name, v := range map[string]int32{
			"disruptionsAllowed": s.DisruptionsAllowed, "currentHealthy": s.CurrentHealthy,
			"desiredHealthy": s.DesiredHealthy, "expectedPods": s.ExpectedPods,
		} {
			errs = append(errs, nonNegative(int64(v), status.Child(name))...)
		}
		return errs
	}),
	kind[*policyv1.Eviction](nil, nil, nil),
	kind(validateRole, func(o, old *rbacv1.Role) field.ErrorList {
		return withMetaUpdate(&o.ObjectMeta, &old.ObjectMeta, validateRules(o.Rules, true, field.NewPath("rules")))
	}, nil),
	kind(validateClusterRole, func(o, old *rbacv1.ClusterRole) field.ErrorList {
		return withMetaUpdate(&o.ObjectMeta, &old.ObjectMeta, validateClusterRoleBody(o))
	}, nil),
	kind(validateRoleBinding, validateRoleBindingUpdate, nil),
	kind(validateClusterRoleBinding, validateClusterRoleBindingUpdate, nil),
	kind(validatePriorityClass, validatePriorityClassUpdate, nil),
	kind(validateStorageClass, validateStorageClassUpdate, nil),
	kind(validateCSIDriver, validateCSIDriverUpdate, nil),
	kind(validateCSINode, validateCSINodeUpdate, nil),
	kind(validateVolumeAttachment, validateVolumeAttachmentUpdate, nil),
	kind(validateIngress, validateIngressUpdate, func(o, _ *networkingv1.Ingress) (errs field.ErrorList) {
		errs = append(errs, validateIngressStatus(o)...)
		return errs
	}),
	kind(validateIngressClass, validateIngressClassUpdate, nil),
	kind(validateNetworkPolicy, validateNetworkPolicyUpdate, nil),
	kind(validateRuntimeClass, validateRuntimeClassUpdate, nil),
	kind(validateCSR, validateCSRUpdate, nil),
	kind(validateDeviceClass, validateDeviceClassUpdate, nil),
	kind(validateDeviceTaintRule, validateDeviceTaintRuleUpdate, validateDeviceTaintRuleStatus),
	kind(validateResourceClaim, validateResourceClaimUpdate, validateResourceClaimStatus),
	kind(validateResourceClaimTemplate, validateResourceClaimTemplateUpdate, nil),
	kind(validateResourceSlice, validateResourceSliceUpdate, nil),
	kind(validateClusterTrustBundle, validateClusterTrustBundleUpdate, nil),
	kind(validatePodCertificateRequest, validatePodCertificateRequestUpdate, validatePodCertificateRequestStatus),
	kind(validateCSIStorageCapacity, validateCSIStorageCapacityUpdate, nil),
	kind(validateVolumeAttributesClass, validateVolumeAttributesClassUpdate, nil),
	kind(validateIPAddress, validateIPAddressUpdate, nil),
	kind(validateServiceCIDR, validateServiceCIDRUpdate, nil),
	kind(validateScale, func(o, old *autoscalingv1.Scale) field.ErrorList {
		return validateScale(o)
	}, nil),
	kind(validateHorizontalPodAutoscaler, validateHorizontalPodAutoscalerUpdate, nil),
	kind(validateHorizontalPodAutoscalerV1, validateHorizontalPodAutoscalerV1Update, nil),
	kind(validateValidatingWebhookConfiguration, func(o, old *admv1.ValidatingWebhookConfiguration) field.ErrorList {
		return withMetaUpdate(&o.ObjectMeta, &old.ObjectMeta, validateValidatingWebhookConfiguration(o))
	}, nil),
	kind(validateMutatingWebhookConfiguration, func(o, old *admv1.MutatingWebhookConfiguration) field.ErrorList {
		return withMetaUpdate(&o.ObjectMeta, &old.ObjectMeta, validateMutatingWebhookConfiguration(o))
	}, nil),
	kind(validateValidatingAdmissionPolicy, func(o, old *admv1.ValidatingAdmissionPolicy) field.ErrorList {
		return withMetaUpdate(&o.ObjectMeta, &old.ObjectMeta, validateValidatingAdmissionPolicy(o))
	}, nil),
	kind(validateValidatingAdmissionPolicyBinding, func(o, old *admv1.ValidatingAdmissionPolicyBinding) field.ErrorList {
		return withMetaUpdate(&o.ObjectMeta, &old.ObjectMeta, validateValidatingAdmissionPolicyBinding(o))
	}, nil),
	kind(validateMutatingAdmissionPolicy, func(o, old *admv1.MutatingAdmissionPolicy) field.ErrorList {
		return withMetaUpdate(&o.ObjectMeta, &old.ObjectMeta, validateMutatingAdmissionPolicy(o))
	}, nil),
	kind(validateMutatingAdmissionPolicyBinding, func(o, old *admv1.MutatingAdmissionPolicyBinding) field.ErrorList {
		return withMetaUpdate(&o.ObjectMeta, &old.ObjectMeta, validateMutatingAdmissionPolicyBinding(o))
	}, nil),
	kind[*authnv1.SelfSubjectReview](nil, nil, nil),
)

// byType indexes rules by the Go type of their kind. Two rules for one
// type are a programming error caught at start-up.
func byType(rs ...rulesFor) map[reflect.Type]rules {
	m := make(map[reflect.Type]rules, len(rs))
	for _, r := range rs {
		if _, dup := m[r.t]; dup {
			panic(fmt.Sprintf("validation: %v has two sets of rules", r.t))
		}
		m[r.t] = r.rules
	}
	return m
}
