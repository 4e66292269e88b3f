package validation

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var accessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce, corev1.ReadOnlyMany,
	corev1.ReadWriteMany, corev1.ReadWriteOncePod}

func validateAccessModes(modes []corev1.PersistentVolumeAccessMode, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(modes) == 0 {
		return field.ErrorList{field.Required(p, "at least 1 access mode is required")}
	}
	pod := false
	for _, m := range modes {
		if m == corev1.ReadWriteOncePod {
			pod = true
		}
		found := false
		for _, a := range accessModes {
			found = found || a == m
		}
		if !found {
			errs = append(errs, field.NotSupported(p, m, accessModes))
		}
	}
	if pod && len(modes) > 1 {
		errs = append(errs, field.Forbidden(p, "may not use ReadWriteOncePod with other access modes"))
	}
	return errs
}

func validatePersistentVolume(pv *corev1.PersistentVolume) field.ErrorList {
	errs := objectMeta(&pv.ObjectMeta, false, nameIsDNSSubdomain)
	return append(errs, validatePVSpec(&pv.Spec, field.NewPath("spec"))...)
}

func validatePVSpec(s *corev1.PersistentVolumeSpec, p *field.Path) field.ErrorList {
	errs := validateAccessModes(s.AccessModes, p.Child("accessModes"))
	cp := p.Child("capacity")
	if len(s.Capacity) == 0 {
		errs = append(errs, field.Required(cp, ""))
	} else if _, ok := s.Capacity[corev1.ResourceStorage]; !ok || len(s.Capacity) > 1 {
		errs = append(errs, field.NotSupported(cp, s.Capacity, []corev1.ResourceName{corev1.ResourceStorage}))
	}
	errs = append(errs, validateResourceList(s.Capacity, cp)...)
	errs = append(errs, optionalEnum(s.PersistentVolumeReclaimPolicy, p.Child("persistentVolumeReclaimPolicy"),
		corev1.PersistentVolumeReclaimRecycle, corev1.PersistentVolumeReclaimDelete, corev1.PersistentVolumeReclaimRetain)...)
	if s.VolumeMode != nil {
		errs = append(errs, enum(*s.VolumeMode, p.Child("volumeMode"), corev1.PersistentVolumeBlock, corev1.PersistentVolumeFilesystem)...)
	}
	if s.StorageClassName != "" {
		errs = append(errs, dnsSubdomain(s.StorageClassName, p.Child("storageClassName"))...)
	}
	_, srcErrs := oneSource(&s.PersistentVolumeSource, p)
	errs = append(errs, srcErrs...)
	if hp := s.HostPath; hp != nil && hp.Path == "" {
		errs = append(errs, field.Required(p.Child("hostPath", "path"), ""))
	}
	if l := s.Local; l != nil {
		if l.Path == "" {
			errs = append(errs, field.Required(p.Child("local", "path"), ""))
		}
		if s.NodeAffinity == nil {
			errs = append(errs, field.Required(p.Child("nodeAffinity"), "Local volumes require node affinity"))
		}
	}
	if c := s.CSI; c != nil {
		if c.Driver == "" {
			errs = append(errs, field.Required(p.Child("csi", "driver"), ""))
		}
		if c.VolumeHandle == "" {
			errs = append(errs, field.Required(p.Child("csi", "volumeHandle"), ""))
		}
	}
	return errs
}

func validatePersistentVolumeUpdate(pv, old *corev1.PersistentVolume) field.ErrorList {
	errs := metaUpdate(&pv.ObjectMeta, &old.ObjectMeta)
	sp := field.NewPath("spec")
	errs = append(errs, validatePVSpec(&pv.Spec, sp)...)
	if !semanticEqual(pv.Spec.PersistentVolumeSource, old.Spec.PersistentVolumeSource) {
		errs = append(errs, field.Forbidden(sp.Child("persistentvolumesource"), "spec.persistentvolumesource is forbidden."))
	}
	errs = append(errs, immutable(pv.Spec.VolumeMode, old.Spec.VolumeMode, sp.Child("volumeMode"))...)
	if old.Spec.NodeAffinity != nil {
		errs = append(errs, immutable(pv.Spec.NodeAffinity, old.Spec.NodeAffinity, sp.Child("nodeAffinity"))...)
	}
	return errs
}

func validatePVStatus(pv *corev1.PersistentVolume) field.ErrorList {
	return optionalEnum(pv.Status.Phase, field.NewPath("status", "phase"), corev1.VolumePending, corev1.VolumeAvailable,
		corev1.VolumeBound, corev1.VolumeReleased, corev1.VolumeFailed)
}

func validatePersistentVolumeClaim(pvc *corev1.PersistentVolumeClaim) field.ErrorList {
	errs := objectMeta(&pvc.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validatePVCSpec(&pvc.Spec, field.NewPath("spec"))...)
}

func validatePVCSpec(s *corev1.PersistentVolumeClaimSpec, p *field.Path) field.ErrorList {
	errs := validateAccessModes(s.AccessModes, p.Child("accessModes"))
	if s.Selector != nil {
		errs = append(errs, labelSelector(s.Selector, p.Child("selector"))...)
	}
	rp := p.Child("resources")
	storage, ok := s.Resources.Requests[corev1.ResourceStorage]
	if !ok {
		errs = append(errs, field.Required(rp.Key(string(corev1.ResourceStorage)), ""))
	} else if storage.Cmp(resource.Quantity{}) <= 0 {
		errs = append(errs, field.Invalid(rp.Key(string(corev1.ResourceStorage)), storage.String(), "must be greater than zero"))
	}
	errs = append(errs, validateResourceList(s.Resources.Requests, rp.Child("requests"))...)
	errs = append(errs, validateResourceList(s.Resources.Limits, rp.Child("limits"))...)
	if s.StorageClassName != nil && *s.StorageClassName != "" {
		errs = append(errs, dnsSubdomain(*s.StorageClassName, p.Child("storageClassName"))...)
	}
	if s.VolumeMode != nil {
		errs = append(errs, enum(*s.VolumeMode, p.Child("volumeMode"), corev1.PersistentVolumeBlock, corev1.PersistentVolumeFilesystem)...)
	}
	return errs
}

func validatePersistentVolumeClaimUpdate(pvc, old *corev1.PersistentVolumeClaim) field.ErrorList {
	errs := metaUpdate(&pvc.ObjectMeta, &old.ObjectMeta)
	sp := field.NewPath("spec")
	errs = append(errs, validatePVCSpec(&pvc.Spec, sp)...)
	munged := old.Spec.DeepCopy()
	if munged.VolumeName == "" {
		munged.VolumeName = pvc.Spec.VolumeName // binding
	}
	// Pre-1.x claims may get their default class assigned later.
	if munged.StorageClassName == nil || *munged.StorageClassName == "" {
		munged.StorageClassName = pvc.Spec.StorageClassName
	}
	munged.VolumeAttributesClassName = pvc.Spec.VolumeAttributesClassName
	if old.Status.Phase == corev1.ClaimBound {
		munged.Resources.Requests = pvc.Spec.Resources.Requests
	}
	if !semanticEqual(munged, &pvc.Spec) {
		errs = append(errs, field.Forbidden(sp, "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"))
	}
	newQ, okN := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	oldQ, okO := old.Spec.Resources.Requests[corev1.ResourceStorage]
	if okN && okO && newQ.Cmp(oldQ) < 0 {
		if capQ, ok := old.Status.Capacity[corev1.ResourceStorage]; !ok || newQ.Cmp(capQ) < 0 {
			errs = append(errs, field.Forbidden(sp.Child("resources", "requests", "storage"), "field can not be less than status.capacity"))
		}
	}
	return errs
}

var bindingModes = []storagev1.VolumeBindingMode{storagev1.VolumeBindingImmediate, storagev1.VolumeBindingWaitForFirstConsumer}

func validateStorageClass(sc *storagev1.StorageClass) field.ErrorList {
	errs := objectMeta(&sc.ObjectMeta, false, nameIsDNSSubdomain)
	return append(errs, validateStorageClassBody(sc)...)
}

const maxProvisionerParameterSize = 256 * 1024

func validateStorageClassBody(sc *storagev1.StorageClass) field.ErrorList {
	var errs field.ErrorList
	pp := field.NewPath("provisioner")
	if sc.Provisioner == "" {
		errs = append(errs, field.Required(pp, ""))
	} else {
		errs = append(errs, qualifiedName(strings.ToLower(sc.Provisioner), pp)...)
	}
	size := 0
	for k, v := range sc.Parameters {
		if k == "" {
			errs = append(errs, field.Invalid(field.NewPath("parameters"), k, "field can not be empty."))
		}
		size += len(k) + len(v)
	}
	if size > maxProvisionerParameterSize {
		errs = append(errs, field.TooLong(field.NewPath("parameters"), "", maxProvisionerParameterSize))
	}
	if sc.ReclaimPolicy != nil {
		errs = append(errs, enum(*sc.ReclaimPolicy, field.NewPath("reclaimPolicy"), corev1.PersistentVolumeReclaimDelete, corev1.PersistentVolumeReclaimRetain)...)
	}
	if sc.VolumeBindingMode == nil {
		errs = append(errs, field.Required(field.NewPath("volumeBindingMode"), ""))
	} else {
		errs = append(errs, enum(*sc.VolumeBindingMode, field.NewPath("volumeBindingMode"), bindingModes...)...)
	}
	return errs
}

func validateStorageClassUpdate(sc, old *storagev1.StorageClass) field.ErrorList {
	errs := withMetaUpdate(&sc.ObjectMeta, &old.ObjectMeta, validateStorageClassBody(sc))
	if !semanticEqual(sc.Parameters, old.Parameters) {
		errs = append(errs, field.Forbidden(field.NewPath("parameters"), "updates to parameters are forbidden."))
	}
	if sc.Provisioner != old.Provisioner {
		errs = append(errs, field.Forbidden(field.NewPath("provisioner"), "updates to provisioner are forbidden."))
	}
	if !semanticEqual(sc.ReclaimPolicy, old.ReclaimPolicy) {
		errs = append(errs, field.Forbidden(field.NewPath("reclaimPolicy"), "updates to reclaimPolicy are forbidden."))
	}
	return append(errs, immutable(sc.VolumeBindingMode, old.VolumeBindingMode, field.NewPath("volumeBindingMode"))...)
}
