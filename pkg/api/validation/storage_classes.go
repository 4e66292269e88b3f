package validation

import (
	"maps"

	storagev1 "k8s.io/api/storage/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// CSIStorageCapacities and VolumeAttributesClasses of storage.k8s.io/v1,
// with upstream's rules.

const maxProvisionerParameterLen = 512

func validateCSIStorageCapacity(c *storagev1.CSIStorageCapacity) field.ErrorList {
	// Upstream names capacities like any DNS subdomain.
	errs := objectMeta(&c.ObjectMeta, true, nameIsDNSSubdomain)
	errs = append(errs, labelSelector(c.NodeTopology, field.NewPath("nodeTopology"))...)
	errs = append(errs, className(c.StorageClassName, field.NewPath("storageClassName"))...)
	if c.Capacity != nil {
		errs = append(errs, quantityNonNegative(*c.Capacity, field.NewPath("capacity"))...)
	}
	if c.MaximumVolumeSize != nil {
		errs = append(errs, quantityNonNegative(*c.MaximumVolumeSize, field.NewPath("maximumVolumeSize"))...)
	}
	return errs
}

// validateCSIStorageCapacityUpdate: the inputs of the CSI GetCapacity
// call (topology and class) are immutable.
func validateCSIStorageCapacityUpdate(c, old *storagev1.CSIStorageCapacity) field.ErrorList {
	errs := metaUpdate(&c.ObjectMeta, &old.ObjectMeta)
	if !semanticEqual(c.NodeTopology, old.NodeTopology) {
		errs = append(errs, field.Invalid(field.NewPath("nodeTopology"), c.NodeTopology, immutableMsg))
	}
	if c.StorageClassName != old.StorageClassName {
		errs = append(errs, field.Invalid(field.NewPath("storageClassName"), c.StorageClassName, immutableMsg))
	}
	return errs
}

// className is a class name (StorageClass, VolumeAttributesClass): a DNS
// subdomain.
func className(v string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(v, false) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

func validateVolumeAttributesClass(c *storagev1.VolumeAttributesClass) field.ErrorList {
	errs := objectMeta(&c.ObjectMeta, false, nameIsDNSSubdomain)
	dp := field.NewPath("driverName")
	if c.DriverName == "" {
		errs = append(errs, field.Required(dp, ""))
	} else {
		errs = append(errs, csiDriverName(c.DriverName, dp)...)
	}
	pp := field.NewPath("parameters")
	if len(c.Parameters) > maxProvisionerParameterLen {
		return append(errs, field.TooLong(pp, "", maxProvisionerParameterLen))
	}
	size := 0
	for k, v := range c.Parameters {
		if k == "" {
			errs = append(errs, field.Invalid(pp, k, "field can not be empty."))
		}
		size += len(k) + len(v)
	}
	if size > maxProvisionerParameterSize {
		errs = append(errs, field.TooLong(pp, "", maxProvisionerParameterSize))
	}
	if len(c.Parameters) == 0 {
		errs = append(errs, field.Required(pp, "must contain at least one key/value pair"))
	}
	return errs
}

// validateVolumeAttributesClassUpdate: driverName and parameters are
// immutable.
func validateVolumeAttributesClassUpdate(c, old *storagev1.VolumeAttributesClass) field.ErrorList {
	errs := metaUpdate(&c.ObjectMeta, &old.ObjectMeta)
	if c.DriverName != old.DriverName {
		errs = append(errs, field.Forbidden(field.NewPath("driverName"), "updates to driverName are forbidden."))
	}
	if !maps.Equal(c.Parameters, old.Parameters) {
		errs = append(errs, field.Forbidden(field.NewPath("parameters"), "updates to parameters are forbidden."))
	}
	return append(errs, validateVolumeAttributesClass(c)...)
}
