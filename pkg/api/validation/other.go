package validation

import (
	"fmt"
	"strings"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func validateLease(l *coordinationv1.Lease) field.ErrorList {
	errs := objectMeta(&l.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateLeaseSpec(&l.Spec, field.NewPath("spec"))...)
}

func validateLeaseSpec(s *coordinationv1.LeaseSpec, p *field.Path) field.ErrorList {
	errs := positivePtr(s.LeaseDurationSeconds, p.Child("leaseDurationSeconds"))
	errs = append(errs, nonNegativePtr(s.LeaseTransitions, p.Child("leaseTransitions"))...)
	if s.Strategy != nil {
		errs = append(errs, enum(*s.Strategy, p.Child("strategy"), coordinationv1.OldestEmulationVersion)...)
	}
	return errs
}

func validatePodDisruptionBudget(pdb *policyv1.PodDisruptionBudget) field.ErrorList {
	errs := objectMeta(&pdb.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validatePDBSpec(&pdb.Spec, field.NewPath("spec"))...)
}

func validatePDBSpec(s *policyv1.PodDisruptionBudgetSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.MinAvailable != nil && s.MaxUnavailable != nil {
		errs = append(errs, field.Invalid(p, s, "minAvailable and maxUnavailable cannot be both set"))
	}
	errs = append(errs, intOrPercent(s.MinAvailable, true, p.Child("minAvailable"))...)
	errs = append(errs, intOrPercent(s.MaxUnavailable, true, p.Child("maxUnavailable"))...)
	if s.Selector != nil {
		errs = append(errs, labelSelector(s.Selector, p.Child("selector"))...)
	}
	if s.UnhealthyPodEvictionPolicy != nil {
		errs = append(errs, enum(*s.UnhealthyPodEvictionPolicy, p.Child("unhealthyPodEvictionPolicy"),
			policyv1.IfHealthyBudget, policyv1.AlwaysAllow)...)
	}
	return errs
}

// RBAC object names only need to be safe path segments.

func validateRules(rules []rbacv1.PolicyRule, namespaced bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, r := range rules {
		ip := p.Index(i)
		if len(r.Verbs) == 0 {
			errs = append(errs, field.Required(ip.Child("verbs"), "verbs must contain at least one value"))
		}
		if len(r.NonResourceURLs) > 0 {
			if namespaced {
				errs = append(errs, field.Invalid(ip.Child("nonResourceURLs"), r.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs"))
			}
			if len(r.APIGroups) > 0 || len(r.Resources) > 0 || len(r.ResourceNames) > 0 {
				errs = append(errs, field.Invalid(ip.Child("nonResourceURLs"), r.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"))
			}
			continue
		}
		if len(r.APIGroups) == 0 {
			errs = append(errs, field.Required(ip.Child("apiGroups"), "resource rules must supply at least one api group"))
		}
		if len(r.Resources) == 0 {
			errs = append(errs, field.Required(ip.Child("resources"), "resource rules must supply at least one resource"))
		}
	}
	return errs
}

func validateRole(r *rbacv1.Role) field.ErrorList {
	errs := objectMeta(&r.ObjectMeta, true, nameIsPathSegment)
	return append(errs, validateRules(r.Rules, true, field.NewPath("rules"))...)
}

func validateClusterRole(r *rbacv1.ClusterRole) field.ErrorList {
	errs := objectMeta(&r.ObjectMeta, false, nameIsPathSegment)
	return append(errs, validateClusterRoleBody(r)...)
}

func validateClusterRoleBody(r *rbacv1.ClusterRole) field.ErrorList {
	errs := validateRules(r.Rules, false, field.NewPath("rules"))
	if r.AggregationRule != nil {
		ap := field.NewPath("aggregationRule", "clusterRoleSelectors")
		if len(r.AggregationRule.ClusterRoleSelectors) == 0 {
			errs = append(errs, field.Required(ap, "at least one clusterRoleSelector required if aggregationRule is non-nil"))
		}
		for i := range r.AggregationRule.ClusterRoleSelectors {
			errs = append(errs, labelSelector(&r.AggregationRule.ClusterRoleSelectors[i], ap.Index(i))...)
		}
	}
	return errs
}

func validateRoleRef(ref rbacv1.RoleRef, kinds []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if ref.APIGroup != rbacv1.GroupName {
		errs = append(errs, field.NotSupported(p.Child("apiGroup"), ref.APIGroup, []string{rbacv1.GroupName}))
	}
	ok := false
	for _, k := range kinds {
		ok = ok || ref.Kind == k
	}
	if !ok {
		errs = append(errs, field.NotSupported(p.Child("kind"), ref.Kind, kinds))
	}
	errs = append(errs, pathSegment(ref.Name, p.Child("name"))...)
	return errs
}

func validateSubjects(subjects []rbacv1.Subject, clusterScoped bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, s := range subjects {
		ip := p.Index(i)
		if s.Name == "" {
			errs = append(errs, field.Required(ip.Child("name"), ""))
		}
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			if s.APIGroup != "" {
				errs = append(errs, field.NotSupported(ip.Child("apiGroup"), s.APIGroup, []string{""}))
			}
			if s.Name != "" {
				for _, msg := range apimachineryvalidation.ValidateServiceAccountName(s.Name, false) {
					errs = append(errs, field.Invalid(ip.Child("name"), s.Name, msg))
				}
			}
			if clusterScoped && s.Namespace == "" {
				errs = append(errs, field.Required(ip.Child("namespace"), ""))
			}
		case rbacv1.UserKind, rbacv1.GroupKind:
			if s.APIGroup != rbacv1.GroupName {
				errs = append(errs, field.NotSupported(ip.Child("apiGroup"), s.APIGroup, []string{rbacv1.GroupName}))
			}
		default:
			errs = append(errs, field.NotSupported(ip.Child("kind"), s.Kind, []string{rbacv1.ServiceAccountKind, rbacv1.UserKind, rbacv1.GroupKind}))
		}
	}
	return errs
}

func validateRoleBinding(b *rbacv1.RoleBinding) field.ErrorList {
	errs := objectMeta(&b.ObjectMeta, true, nameIsPathSegment)
	errs = append(errs, validateRoleRef(b.RoleRef, []string{"Role", "ClusterRole"}, field.NewPath("roleRef"))...)
	return append(errs, validateSubjects(b.Subjects, false, field.NewPath("subjects"))...)
}

func validateClusterRoleBinding(b *rbacv1.ClusterRoleBinding) field.ErrorList {
	errs := objectMeta(&b.ObjectMeta, false, nameIsPathSegment)
	errs = append(errs, validateRoleRef(b.RoleRef, []string{"ClusterRole"}, field.NewPath("roleRef"))...)
	return append(errs, validateSubjects(b.Subjects, true, field.NewPath("subjects"))...)
}

func roleRefChanged(ref, old rbacv1.RoleRef) field.ErrorList {
	if ref != old {
		return field.ErrorList{field.Invalid(field.NewPath("roleRef"), ref, "cannot change roleRef")}
	}
	return nil
}

func validateRoleBindingUpdate(b, old *rbacv1.RoleBinding) field.ErrorList {
	errs := metaUpdate(&b.ObjectMeta, &old.ObjectMeta)
	errs = append(errs, validateRoleRef(b.RoleRef, []string{"Role", "ClusterRole"}, field.NewPath("roleRef"))...)
	errs = append(errs, validateSubjects(b.Subjects, false, field.NewPath("subjects"))...)
	return append(errs, roleRefChanged(b.RoleRef, old.RoleRef)...)
}

func validateClusterRoleBindingUpdate(b, old *rbacv1.ClusterRoleBinding) field.ErrorList {
	errs := metaUpdate(&b.ObjectMeta, &old.ObjectMeta)
	errs = append(errs, validateRoleRef(b.RoleRef, []string{"ClusterRole"}, field.NewPath("roleRef"))...)
	errs = append(errs, validateSubjects(b.Subjects, true, field.NewPath("subjects"))...)
	return append(errs, roleRefChanged(b.RoleRef, old.RoleRef)...)
}

const (
	highestUserDefinablePriority = 1000000000
	systemPriorityClassPrefix    = "system-"
)

var systemPriorityClasses = map[string]int32{
	"system-node-critical":    2000001000,
	"system-cluster-critical": 2000000000,
}

func validatePriorityClass(pc *schedulingv1.PriorityClass) field.ErrorList {
	errs := objectMeta(&pc.ObjectMeta, false, nameIsDNSSubdomain)
	if v, ok := systemPriorityClasses[pc.Name]; ok {
		if pc.Value != v {
			errs = append(errs, field.Forbidden(field.NewPath("value"), fmt.Sprintf("value of system priority class %s must be %d", pc.Name, v)))
		}
	} else if strings.HasPrefix(pc.Name, systemPriorityClassPrefix) {
		errs = append(errs, field.Forbidden(metadataPath.Child("name"), "priority class names with '"+systemPriorityClassPrefix+"' prefix are reserved for system use only"))
	} else if pc.Value > highestUserDefinablePriority {
		errs = append(errs, field.Forbidden(field.NewPath("value"), fmt.Sprintf("maximum allowed value of a user defined priority is %v", highestUserDefinablePriority)))
	}
	if pc.PreemptionPolicy != nil {
		errs = append(errs, enum(*pc.PreemptionPolicy, field.NewPath("preemptionPolicy"), corev1.PreemptLowerPriority, corev1.PreemptNever)...)
	}
	return errs
}

func validatePriorityClassUpdate(pc, old *schedulingv1.PriorityClass) field.ErrorList {
	errs := metaUpdate(&pc.ObjectMeta, &old.ObjectMeta)
	if pc.Value != old.Value {
		errs = append(errs, field.Forbidden(field.NewPath("value"), "may not be changed in an update."))
	}
	return append(errs, immutable(pc.PreemptionPolicy, old.PreemptionPolicy, field.NewPath("preemptionPolicy"))...)
}
