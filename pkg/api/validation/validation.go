package validation

import (
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/api/meta"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateCreate validates obj for creation. The object must already be
// defaulted and have its name generated. Kinds without rules in kinds get
// the generic metadata checks.
func ValidateCreate(obj runtime.Object) field.ErrorList {
	if k, ok := kinds[reflect.TypeOf(obj)]; ok {
		return k.create(obj)
	}
	return unknownMeta(obj)
}

// ValidateUpdate validates obj replacing old: metadata update rules, the
// create-time rules applied to the new object, and immutable fields.
func ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	if errs := sameType(obj, old); errs != nil {
		return errs
	}
	if k, ok := kinds[reflect.TypeOf(obj)]; ok {
		return k.update(obj, old)
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
	if k, ok := kinds[reflect.TypeOf(obj)]; ok && k.status != nil {
		errs = append(errs, k.status(obj, old)...)
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
