package validation

import (
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// csiDriverName is a CSI driver's name: a DNS subdomain of at most 63
// characters, as upstream.
func csiDriverName(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	if len(v) > 63 {
		return field.ErrorList{field.TooLong(p, "", 63)}
	}
	return dnsSubdomain(v, p)
}

func validateCSIDriver(d *storagev1.CSIDriver) field.ErrorList {
	errs := objectMeta(&d.ObjectMeta, false, nameIsDNSSubdomain)
	errs = append(errs, csiDriverName(d.Name, field.NewPath("metadata", "name"))...)
	return append(errs, validateCSIDriverSpec(&d.Spec, field.NewPath("spec"))...)
}

func validateCSIDriverSpec(s *storagev1.CSIDriverSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.AttachRequired == nil {
		errs = append(errs, field.Required(p.Child("attachRequired"), ""))
	}
	if s.FSGroupPolicy != nil {
		errs = append(errs, enum(*s.FSGroupPolicy, p.Child("fsGroupPolicy"), storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy,
			storagev1.FileFSGroupPolicy, storagev1.NoneFSGroupPolicy)...)
	}
	for i, m := range s.VolumeLifecycleModes {
		errs = append(errs, enum(m, p.Child("volumeLifecycleModes").Index(i), storagev1.VolumeLifecyclePersistent,
			storagev1.VolumeLifecycleEphemeral)...)
	}
	return errs
}

func validateCSIDriverUpdate(d, old *storagev1.CSIDriver) field.ErrorList {
	p := field.NewPath("spec")
	errs := withMetaUpdate(&d.ObjectMeta, &old.ObjectMeta, validateCSIDriverSpec(&d.Spec, p))
	return append(errs, immutable(d.Spec.VolumeLifecycleModes, old.Spec.VolumeLifecycleModes, p.Child("volumeLifecycleModes"))...)
}

func validateCSINode(n *storagev1.CSINode) field.ErrorList {
	errs := objectMeta(&n.ObjectMeta, false, nameIsDNSSubdomain)
	return append(errs, validateCSINodeDrivers(n.Spec.Drivers, field.NewPath("spec", "drivers"))...)
}

func validateCSINodeDrivers(drivers []storagev1.CSINodeDriver, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[string]()
	for i, d := range drivers {
		dp := p.Index(i)
		errs = append(errs, csiDriverName(d.Name, dp.Child("name"))...)
		if seen.Has(d.Name) {
			errs = append(errs, field.Duplicate(dp.Child("name"), d.Name))
		}
		seen.Insert(d.Name)
		if d.NodeID == "" {
			errs = append(errs, field.Required(dp.Child("nodeID"), ""))
		} else if len(d.NodeID) > 256 {
			errs = append(errs, field.TooLong(dp.Child("nodeID"), "", 256))
		}
		if d.Allocatable != nil && d.Allocatable.Count != nil {
			errs = append(errs, nonNegative(int64(*d.Allocatable.Count), dp.Child("allocatable", "count"))...)
		}
	}
	return errs
}

func validateCSINodeUpdate(n, old *storagev1.CSINode) field.ErrorList {
	return withMetaUpdate(&n.ObjectMeta, &old.ObjectMeta, validateCSINodeDrivers(n.Spec.Drivers, field.NewPath("spec", "drivers")))
}

func validateVolumeAttachment(va *storagev1.VolumeAttachment) field.ErrorList {
	errs := objectMeta(&va.ObjectMeta, false, nameIsDNSSubdomain)
	return append(errs, validateVolumeAttachmentSpec(&va.Spec, field.NewPath("spec"))...)
}

func validateVolumeAttachmentSpec(s *storagev1.VolumeAttachmentSpec, p *field.Path) field.ErrorList {
	errs := csiDriverName(s.Attacher, p.Child("attacher"))
	if s.NodeName == "" {
		errs = append(errs, field.Required(p.Child("nodeName"), ""))
	} else {
		errs = append(errs, dnsSubdomain(s.NodeName, p.Child("nodeName"))...)
	}
	sp := p.Child("source")
	switch pv, inline := s.Source.PersistentVolumeName, s.Source.InlineVolumeSpec; {
	case pv == nil && inline == nil:
		errs = append(errs, field.Required(sp, "must specify exactly one of inlineVolumeSpec and persistentVolumeName"))
	case pv != nil && inline != nil:
		errs = append(errs, field.Forbidden(sp, "must specify exactly one of inlineVolumeSpec and persistentVolumeName"))
	case pv != nil && *pv == "":
		errs = append(errs, field.Required(sp.Child("persistentVolumeName"), "must specify non empty persistentVolumeName"))
	}
	return errs
}

func validateVolumeAttachmentUpdate(va, old *storagev1.VolumeAttachment) field.ErrorList {
	p := field.NewPath("spec")
	errs := withMetaUpdate(&va.ObjectMeta, &old.ObjectMeta, validateVolumeAttachmentSpec(&va.Spec, p))
	if !semanticEqual(va.Spec, old.Spec) {
		errs = append(errs, field.Invalid(p, va.Spec, "field is immutable"))
	}
	return errs
}
