package apiserver

import (
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/storage"
)

// validateOptions checks the options a request's query (and, for
// DeleteOptions, body) decoded into, as upstream's handlers do before
// anything is read: a resourceVersion that is not a number is 400; a
// combination upstream's ValidateListOptions or ValidateDeleteOptions
// refuse is 422 Invalid against the kind ListOptions or DeleteOptions.
func validateOptions(obj runtime.Object) error {
	switch o := obj.(type) {
	case *metav1.GetOptions:
		return checkResourceVersion(o.ResourceVersion)
	case *metav1.ListOptions:
		if err := checkResourceVersion(o.ResourceVersion); err != nil {
			return err
		}
		if o.TimeoutSeconds != nil && *o.TimeoutSeconds < 0 {
			return apierrors.NewBadRequest(fmt.Sprintf("invalid timeoutSeconds %d: must not be negative", *o.TimeoutSeconds))
		}
		return invalidOptions("ListOptions", listOptionErrors(o))
	case *metav1.DeleteOptions:
		var errs field.ErrorList
		if o.OrphanDependents != nil && o.PropagationPolicy != nil { //nolint:staticcheck // validated as upstream while it exists
			errs = append(errs, field.Invalid(field.NewPath("propagationPolicy"), o.PropagationPolicy, "orphanDependents and deletionPropagation cannot be both set"))
		}
		if p := o.PropagationPolicy; p != nil && *p != metav1.DeletePropagationForeground &&
			*p != metav1.DeletePropagationBackground && *p != metav1.DeletePropagationOrphan {
			errs = append(errs, field.NotSupported(field.NewPath("propagationPolicy"), *p, []string{
				string(metav1.DeletePropagationForeground), string(metav1.DeletePropagationBackground), string(metav1.DeletePropagationOrphan), "nil"}))
		}
		if o.Preconditions != nil && o.Preconditions.ResourceVersion != nil {
			if err := checkResourceVersion(*o.Preconditions.ResourceVersion); err != nil {
				return err
			}
		}
		return invalidOptions("DeleteOptions", errs)
	}
	return nil
}

// checkResourceVersion: "" or a decimal revision.
func checkResourceVersion(rv string) error {
	if _, err := storage.ParseResourceVersion(rv); err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("invalid resourceVersion %q: must be a decimal number", rv))
	}
	return nil
}

// listOptionErrors are upstream's rules for resourceVersionMatch and
// sendInitialEvents, on lists and on watches.
func listOptionErrors(o *metav1.ListOptions) field.ErrorList {
	var errs field.ErrorList
	match := o.ResourceVersionMatch
	mp := field.NewPath("resourceVersionMatch")
	if o.Watch {
		if o.SendInitialEvents != nil && match != metav1.ResourceVersionMatchNotOlderThan {
			errs = append(errs, field.Forbidden(mp, "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"))
		}
		if match != "" {
			if o.SendInitialEvents == nil {
				errs = append(errs, field.Forbidden(mp, "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"))
			}
			if match != metav1.ResourceVersionMatchNotOlderThan {
				errs = append(errs, field.NotSupported(mp, match, []string{string(metav1.ResourceVersionMatchNotOlderThan)}))
			}
			if o.Continue != "" {
				errs = append(errs, field.Forbidden(mp, "resourceVersionMatch is forbidden when continue is provided"))
			}
		}
		return errs
	}
	if match != "" {
		if o.ResourceVersion == "" {
			errs = append(errs, field.Forbidden(mp, "resourceVersionMatch is forbidden unless resourceVersion is provided"))
		}
		if o.Continue != "" {
			errs = append(errs, field.Forbidden(mp, "resourceVersionMatch is forbidden when continue is provided"))
		}
		if match != metav1.ResourceVersionMatchExact && match != metav1.ResourceVersionMatchNotOlderThan {
			errs = append(errs, field.NotSupported(mp, match, []string{string(metav1.ResourceVersionMatchExact), string(metav1.ResourceVersionMatchNotOlderThan), ""}))
		}
		if match == metav1.ResourceVersionMatchExact && o.ResourceVersion == "0" {
			errs = append(errs, field.Forbidden(mp, `resourceVersionMatch "exact" is forbidden for resourceVersion "0"`))
		}
	}
	if o.SendInitialEvents != nil {
		errs = append(errs, field.Forbidden(field.NewPath("sendInitialEvents"), "sendInitialEvents is forbidden for list"))
	}
	return errs
}

func invalidOptions(kind string, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: kind}, "", errs)
}
