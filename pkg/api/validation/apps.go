package validation

import (
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var always = []corev1.RestartPolicy{corev1.RestartPolicyAlways}

// validateSelectedTemplate checks the selector/template pair of an apps/v1
// workload: selector required and non-empty, template labels selected,
// template restartPolicy Always.
func validateSelectedTemplate(sel *metav1.LabelSelector, t *corev1.PodTemplateSpec, spec *field.Path, kind string) field.ErrorList {
	var errs field.ErrorList
	sp := spec.Child("selector")
	if sel == nil {
		errs = append(errs, field.Required(sp, ""))
	} else {
		errs = append(errs, labelSelector(sel, sp)...)
		if len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
			errs = append(errs, field.Invalid(sp, sel, "empty selector is invalid for "+kind))
		}
	}
	tp := spec.Child("template")
	if sel != nil && len(sel.MatchLabels)+len(sel.MatchExpressions) > 0 && !selectorMatches(sel, t.Labels) {
		errs = append(errs, field.Invalid(tp.Child("metadata", "labels"), t.Labels, "`selector` does not match template `labels`"))
	}
	return append(errs, validatePodTemplateSpec(t, tp, podSpecOpts{
		restartPolicies:  always,
		noActiveDeadline: "activeDeadlineSeconds in " + kind + " is not Supported",
	})...)
}

func validateDeployment(d *appsv1.Deployment) field.ErrorList {
	errs := objectMeta(&d.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateDeploymentSpec(&d.Spec, field.NewPath("spec"))...)
}

func validateDeploymentSpec(s *appsv1.DeploymentSpec, p *field.Path) field.ErrorList {
	errs := nonNegativePtr(s.Replicas, p.Child("replicas"))
	errs = append(errs, validateSelectedTemplate(s.Selector, &s.Template, p, "deployment")...)
	errs = append(errs, nonNegative(int64(s.MinReadySeconds), p.Child("minReadySeconds"))...)
	errs = append(errs, nonNegativePtr(s.RevisionHistoryLimit, p.Child("revisionHistoryLimit"))...)
	if s.ProgressDeadlineSeconds != nil {
		pp := p.Child("progressDeadlineSeconds")
		errs = append(errs, nonNegative(int64(*s.ProgressDeadlineSeconds), pp)...)
		if *s.ProgressDeadlineSeconds <= s.MinReadySeconds {
			errs = append(errs, field.Invalid(pp, *s.ProgressDeadlineSeconds, "must be greater than minReadySeconds"))
		}
	}
	stp := p.Child("strategy")
	errs = append(errs, enum(s.Strategy.Type, stp.Child("type"), appsv1.RecreateDeploymentStrategyType, appsv1.RollingUpdateDeploymentStrategyType)...)
	switch s.Strategy.Type {
	case appsv1.RecreateDeploymentStrategyType:
		if s.Strategy.RollingUpdate != nil {
			errs = append(errs, field.Forbidden(stp.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"))
		}
	case appsv1.RollingUpdateDeploymentStrategyType:
		if s.Strategy.RollingUpdate == nil {
			errs = append(errs, field.Required(stp.Child("rollingUpdate"), "this should be defaulted and never be nil"))
		} else {
			ru := s.Strategy.RollingUpdate
			errs = append(errs, validateSurgeUnavailable(ru.MaxSurge, ru.MaxUnavailable, stp.Child("rollingUpdate"))...)
		}
	}
	return errs
}

// validateSurgeUnavailable: both int-or-percent, maxUnavailable ≤ 100%, not
// both zero.
func validateSurgeUnavailable(surge, unavail *intstr.IntOrString, p *field.Path) field.ErrorList {
	errs := intOrPercent(surge, false, p.Child("maxSurge"))
	errs = append(errs, intOrPercent(unavail, true, p.Child("maxUnavailable"))...)
	if intOrPercentIsZero(surge) && intOrPercentIsZero(unavail) {
		errs = append(errs, field.Invalid(p.Child("maxUnavailable"), unavail, "may not be 0 when `maxSurge` is 0"))
	}
	return errs
}

func validateDeploymentUpdate(d, old *appsv1.Deployment) field.ErrorList {
	errs := metaUpdate(&d.ObjectMeta, &old.ObjectMeta)
	errs = append(errs, validateDeploymentSpec(&d.Spec, field.NewPath("spec"))...)
	return append(errs, immutable(d.Spec.Selector, old.Spec.Selector, field.NewPath("spec", "selector"))...)
}

func validateReplicaSet(rs *appsv1.ReplicaSet) field.ErrorList {
	errs := objectMeta(&rs.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateReplicaSetSpec(&rs.Spec, field.NewPath("spec"))...)
}

func validateReplicaSetSpec(s *appsv1.ReplicaSetSpec, p *field.Path) field.ErrorList {
	errs := nonNegativePtr(s.Replicas, p.Child("replicas"))
	errs = append(errs, nonNegative(int64(s.MinReadySeconds), p.Child("minReadySeconds"))...)
	return append(errs, validateSelectedTemplate(s.Selector, &s.Template, p, "ReplicaSet")...)
}

func validateReplicaSetUpdate(rs, old *appsv1.ReplicaSet) field.ErrorList {
	errs := metaUpdate(&rs.ObjectMeta, &old.ObjectMeta)
	errs = append(errs, validateReplicaSetSpec(&rs.Spec, field.NewPath("spec"))...)
	return append(errs, immutable(rs.Spec.Selector, old.Spec.Selector, field.NewPath("spec", "selector"))...)
}

func validateDaemonSet(ds *appsv1.DaemonSet) field.ErrorList {
	errs := objectMeta(&ds.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateDaemonSetSpec(&ds.Spec, field.NewPath("spec"))...)
}

func validateDaemonSetSpec(s *appsv1.DaemonSetSpec, p *field.Path) field.ErrorList {
	errs := validateSelectedTemplate(s.Selector, &s.Template, p, "DaemonSet")
	errs = append(errs, nonNegative(int64(s.MinReadySeconds), p.Child("minReadySeconds"))...)
	errs = append(errs, nonNegativePtr(s.RevisionHistoryLimit, p.Child("revisionHistoryLimit"))...)
	up := p.Child("updateStrategy")
	errs = append(errs, enum(s.UpdateStrategy.Type, up.Child("type"), appsv1.RollingUpdateDaemonSetStrategyType, appsv1.OnDeleteDaemonSetStrategyType)...)
	if ru := s.UpdateStrategy.RollingUpdate; ru != nil {
		if s.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType {
			errs = append(errs, field.Forbidden(up.Child("rollingUpdate"), "may not be specified when strategy `type` is 'OnDelete'"))
		} else {
			errs = append(errs, validateSurgeUnavailable(ru.MaxSurge, ru.MaxUnavailable, up.Child("rollingUpdate"))...)
		}
	} else if s.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		errs = append(errs, field.Required(up.Child("rollingUpdate"), "this should be defaulted and never be nil"))
	}
	return errs
}

func validateDaemonSetUpdate(ds, old *appsv1.DaemonSet) field.ErrorList {
	errs := metaUpdate(&ds.ObjectMeta, &old.ObjectMeta)
	errs = append(errs, validateDaemonSetSpec(&ds.Spec, field.NewPath("spec"))...)
	return append(errs, immutable(ds.Spec.Selector, old.Spec.Selector, field.NewPath("spec", "selector"))...)
}

func validateStatefulSet(ss *appsv1.StatefulSet) field.ErrorList {
	errs := objectMeta(&ss.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateStatefulSetSpec(&ss.Spec, field.NewPath("spec"))...)
}

func validateStatefulSetSpec(s *appsv1.StatefulSetSpec, p *field.Path) field.ErrorList {
	errs := nonNegativePtr(s.Replicas, p.Child("replicas"))
	errs = append(errs, validateSelectedTemplate(s.Selector, &s.Template, p, "statefulset")...)
	errs = append(errs, nonNegative(int64(s.MinReadySeconds), p.Child("minReadySeconds"))...)
	errs = append(errs, nonNegativePtr(s.RevisionHistoryLimit, p.Child("revisionHistoryLimit"))...)
	if s.ServiceName != "" {
		errs = append(errs, dnsLabel(s.ServiceName, p.Child("serviceName"))...)
	}
	errs = append(errs, enum(s.PodManagementPolicy, p.Child("podManagementPolicy"), appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement)...)
	up := p.Child("updateStrategy")
	errs = append(errs, enum(s.UpdateStrategy.Type, up.Child("type"), appsv1.RollingUpdateStatefulSetStrategyType, appsv1.OnDeleteStatefulSetStrategyType)...)
	if ru := s.UpdateStrategy.RollingUpdate; ru != nil {
		if s.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
			errs = append(errs, field.Forbidden(up.Child("rollingUpdate"), "only allowed for updateStrategy 'RollingUpdate'"))
		}
		errs = append(errs, nonNegativePtr(ru.Partition, up.Child("rollingUpdate", "partition"))...)
		if ru.MaxUnavailable != nil {
			mp := up.Child("rollingUpdate", "maxUnavailable")
			errs = append(errs, intOrPercent(ru.MaxUnavailable, true, mp)...)
			if intOrPercentIsZero(ru.MaxUnavailable) {
				errs = append(errs, field.Invalid(mp, ru.MaxUnavailable, "must be greater than 0"))
			}
		}
	}
	if s.Ordinals != nil {
		errs = append(errs, nonNegative(int64(s.Ordinals.Start), p.Child("ordinals", "start"))...)
	}
	for i := range s.VolumeClaimTemplates {
		vp := p.Child("volumeClaimTemplates").Index(i)
		c := &s.VolumeClaimTemplates[i]
		if c.Name == "" {
			errs = append(errs, field.Required(vp.Child("metadata", "name"), ""))
		}
		errs = append(errs, validatePVCSpec(&c.Spec, vp.Child("spec"))...)
	}
	return errs
}

func validateStatefulSetUpdate(ss, old *appsv1.StatefulSet) field.ErrorList {
	errs := metaUpdate(&ss.ObjectMeta, &old.ObjectMeta)
	sp := field.NewPath("spec")
	errs = append(errs, validateStatefulSetSpec(&ss.Spec, sp)...)
	munged := old.Spec.DeepCopy()
	munged.Replicas = ss.Spec.Replicas
	munged.Ordinals = ss.Spec.Ordinals
	munged.Template = ss.Spec.Template
	munged.UpdateStrategy = ss.Spec.UpdateStrategy
	munged.MinReadySeconds = ss.Spec.MinReadySeconds
	munged.PersistentVolumeClaimRetentionPolicy = ss.Spec.PersistentVolumeClaimRetentionPolicy
	munged.RevisionHistoryLimit = ss.Spec.RevisionHistoryLimit
	if !semanticEqual(munged, &ss.Spec) {
		errs = append(errs, field.Forbidden(sp, "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"))
	}
	return errs
}

// ReplicationController: map selector, optional-but-defaulted template.
func validateReplicationController(rc *corev1.ReplicationController) field.ErrorList {
	errs := objectMeta(&rc.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateRCSpec(&rc.Spec, field.NewPath("spec"))...)
}

func validateRCSpec(s *corev1.ReplicationControllerSpec, p *field.Path) field.ErrorList {
	errs := nonNegativePtr(s.Replicas, p.Child("replicas"))
	errs = append(errs, nonNegative(int64(s.MinReadySeconds), p.Child("minReadySeconds"))...)
	sp := p.Child("selector")
	if len(s.Selector) == 0 {
		errs = append(errs, field.Required(sp, ""))
	} else {
		errs = append(errs, labels(s.Selector, sp)...)
	}
	tp := p.Child("template")
	if s.Template == nil {
		return append(errs, field.Required(tp, ""))
	}
	if len(s.Selector) > 0 && !mapAdds(s.Selector, s.Template.Labels) {
		errs = append(errs, field.Invalid(tp.Child("metadata", "labels"), s.Template.Labels, "`selector` does not match template `labels`"))
	}
	return append(errs, validatePodTemplateSpec(s.Template, tp, podSpecOpts{
		restartPolicies:  always,
		noActiveDeadline: "activeDeadlineSeconds in ReplicationController is not Supported",
	})...)
}

func validateReplicationControllerUpdate(rc, old *corev1.ReplicationController) field.ErrorList {
	return withMetaUpdate(&rc.ObjectMeta, &old.ObjectMeta, validateRCSpec(&rc.Spec, field.NewPath("spec")))
}

// replicaStatus is the shared sanity check of workload status counters.
func replicaStatus(replicas, ready, available int32, otherName string, other int32, observedGen int64, p *field.Path) field.ErrorList {
	errs := nonNegative(int64(replicas), p.Child("replicas"))
	errs = append(errs, nonNegative(int64(ready), p.Child("readyReplicas"))...)
	errs = append(errs, nonNegative(int64(available), p.Child("availableReplicas"))...)
	errs = append(errs, nonNegative(int64(other), p.Child(otherName))...)
	errs = append(errs, nonNegative(observedGen, p.Child("observedGeneration"))...)
	if ready > replicas {
		errs = append(errs, field.Invalid(p.Child("readyReplicas"), ready, "cannot be greater than status.replicas"))
	}
	if available > replicas {
		errs = append(errs, field.Invalid(p.Child("availableReplicas"), available, "cannot be greater than status.replicas"))
	}
	return errs
}

func validateControllerRevision(r *appsv1.ControllerRevision) field.ErrorList {
	errs := objectMeta(&r.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateControllerRevisionBody(r)...)
}

func validateControllerRevisionBody(r *appsv1.ControllerRevision) field.ErrorList {
	var errs field.ErrorList
	if r.Data.Raw == nil && r.Data.Object == nil {
		errs = append(errs, field.Required(field.NewPath("data"), "data is mandatory"))
	}
	return append(errs, nonNegative(r.Revision, field.NewPath("revision"))...)
}

func validateControllerRevisionUpdate(r, old *appsv1.ControllerRevision) field.ErrorList {
	errs := metaUpdate(&r.ObjectMeta, &old.ObjectMeta)
	errs = append(errs, validateControllerRevisionBody(r)...)
	if string(r.Data.Raw) != string(old.Data.Raw) {
		errs = append(errs, field.Invalid(field.NewPath("data"), "", immutableMsg))
	}
	return errs
}

func validateScale(s *autoscalingv1.Scale) field.ErrorList {
	return nonNegative(int64(s.Spec.Replicas), field.NewPath("spec", "replicas"))
}
