package validation

import (
	"fmt"
	"strings"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var metadataPath = field.NewPath("metadata")

// Name rules, one per resource family, as upstream's ValidateXxxName picks them.
var (
	nameIsDNSSubdomain  = apimachineryvalidation.NameIsDNSSubdomain
	nameIsDNSLabel      = apimachineryvalidation.NameIsDNSLabel
	nameIsDNS1035Label  = apimachineryvalidation.NameIsDNS1035Label
	nameIsPathSegment   = path.ValidatePathSegmentName
	nameIsNamespaceName = apimachineryvalidation.ValidateNamespaceName
)

const (
	immutableMsg  = "field is immutable"
	nonNegMsg     = "must be greater than or equal to 0"
	maxConfigSize = 1 * 1024 * 1024 // core.MaxSecretSize
)

// objectMeta validates metadata on create.
func objectMeta(m *metav1.ObjectMeta, namespaced bool, nameFn apimachineryvalidation.ValidateNameFunc) field.ErrorList {
	return apimachineryvalidation.ValidateObjectMeta(m, namespaced, nameFn, metadataPath)
}

// metaUpdate validates metadata on update (immutable name, namespace, uid,
// creationTimestamp; label/annotation syntax; no new finalizers while
// deleting).
func metaUpdate(m, old *metav1.ObjectMeta) field.ErrorList {
	return withoutResourceVersion(apimachineryvalidation.ValidateObjectMetaUpdate(m, old, metadataPath))
}

// withoutResourceVersion drops the "resourceVersion must be specified"
// error: the generic store owns resourceVersion (it fills it in for
// unconditional updates and answers 409 on conflicts).
func withoutResourceVersion(errs field.ErrorList) field.ErrorList {
	rv := metadataPath.Child("resourceVersion").String()
	out := errs[:0]
	for _, e := range errs {
		if e.Field != rv {
			out = append(out, e)
		}
	}
	return out
}

// withMetaUpdate prepends the metadata update errors to errs.
func withMetaUpdate(m, old *metav1.ObjectMeta, errs field.ErrorList) field.ErrorList {
	return append(metaUpdate(m, old), errs...)
}

func immutable(newVal, oldVal any, p *field.Path) field.ErrorList {
	return apimachineryvalidation.ValidateImmutableField(newVal, oldVal, p)
}

func nonNegative(v int64, p *field.Path) field.ErrorList {
	if v < 0 {
		return field.ErrorList{field.Invalid(p, v, nonNegMsg)}
	}
	return nil
}

func nonNegativePtr[T ~int32 | ~int64](v *T, p *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	return nonNegative(int64(*v), p)
}

func positivePtr[T ~int32 | ~int64](v *T, p *field.Path) field.ErrorList {
	if v != nil && *v <= 0 {
		return field.ErrorList{field.Invalid(p, *v, "must be greater than 0")}
	}
	return nil
}

func dnsLabel(v string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range utilvalidation.IsDNS1123Label(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

func dnsSubdomain(v string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range utilvalidation.IsDNS1123Subdomain(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

func qualifiedName(v string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range utilvalidation.IsQualifiedName(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

// pathSegment requires v and checks it can be a name in a URL path (a
// reference's kind or name).
func pathSegment(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	var errs field.ErrorList
	for _, msg := range nameIsPathSegment(v, false) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

func enum[T ~string](v T, p *field.Path, allowed ...T) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(p, v, allowed)}
}

// optionalEnum is enum for fields where empty means "unset".
func optionalEnum[T ~string](v T, p *field.Path, allowed ...T) field.ErrorList {
	if v == "" {
		return nil
	}
	return enum(v, p, allowed...)
}

func labelSelector(s *metav1.LabelSelector, p *field.Path) field.ErrorList {
	return metav1validation.ValidateLabelSelector(s, metav1validation.LabelSelectorValidationOptions{}, p)
}

func labels(l map[string]string, p *field.Path) field.ErrorList {
	return metav1validation.ValidateLabels(l, p)
}

// selectorMatches reports whether the selector selects the given labels; a
// selector that does not parse matches nothing (its own errors are reported
// separately).
func selectorMatches(s *metav1.LabelSelector, l map[string]string) bool {
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return false
	}
	return sel.Matches(labelSet(l))
}

type labelSet map[string]string

func (l labelSet) Has(k string) bool              { _, ok := l[k]; return ok }
func (l labelSet) Get(k string) string            { return l[k] }
func (l labelSet) Lookup(k string) (string, bool) { v, ok := l[k]; return v, ok }

// intOrPercent validates an IntOrString that is a non-negative int or a
// percentage; percentages above 100% are rejected when capped is set.
func intOrPercent(v *intstr.IntOrString, capped bool, p *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	switch v.Type {
	case intstr.Int:
		return nonNegative(int64(v.IntVal), p)
	case intstr.String:
		var errs field.ErrorList
		for _, msg := range utilvalidation.IsValidPercent(v.StrVal) {
			errs = append(errs, field.Invalid(p, v.StrVal, msg))
		}
		if len(errs) > 0 {
			return errs
		}
		n := percentValue(v.StrVal)
		if n < 0 {
			errs = append(errs, field.Invalid(p, v.StrVal, nonNegMsg))
		}
		if capped && n > 100 {
			errs = append(errs, field.Invalid(p, v.StrVal, "must not be greater than 100%"))
		}
		return errs
	}
	return field.ErrorList{field.Invalid(p, v, "must be an integer or percentage (e.g '5%')")}
}

func percentValue(s string) int {
	var n int
	if _, err := fmt.Sscanf(strings.TrimSuffix(s, "%"), "%d", &n); err != nil {
		return 0
	}
	return n
}

// intOrPercentIsZero reports whether v is 0 or "0%".
func intOrPercentIsZero(v *intstr.IntOrString) bool {
	if v == nil {
		return true
	}
	if v.Type == intstr.Int {
		return v.IntVal == 0
	}
	return percentValue(v.StrVal) == 0
}

// quantityNonNegative validates one resource quantity.
func quantityNonNegative(q resource.Quantity, p *field.Path) field.ErrorList {
	if q.Sign() < 0 {
		return field.ErrorList{field.Invalid(p, q.String(), nonNegMsg)}
	}
	return nil
}

func semanticEqual(a, b any) bool { return apiequality.Semantic.DeepEqual(a, b) }
