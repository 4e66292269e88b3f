package validation

import (
	"errors"
	"strings"

	celgo "github.com/google/cel-go/cel"
	admv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/cel"
)

// celCompiler compiles the CEL expressions of admission configuration on
// write: an expression that does not compile is refused with upstream's
// field error ("…expression: Invalid value: \"…\": compilation failed:
// ERROR: …"). Its only state is the environments it builds once.
var celCompiler = cel.NewCompiler()

// celField turns a compile failure into upstream's field error.
func celField(p *field.Path, expr string, err error) *field.Error {
	var ce *cel.Error
	if errors.As(err, &ce) {
		if ce.Required {
			return field.Required(p, ce.Detail)
		}
		return field.Invalid(p, expr, ce.Detail)
	}
	return field.InternalError(p, err)
}

func compileField(p *field.Path, expr string, o cel.Options, want ...*celgo.Type) field.ErrorList {
	if _, err := celCompiler.Compile(expr, o, want...); err != nil {
		return field.ErrorList{celField(p, expr, err)}
	}
	return nil
}

// matchConditions checks webhooks' and policies' matchConditions: at most
// 64, named (qualified names, unique), expressions that compile to bool.
func matchConditions(mcs []admv1.MatchCondition, o cel.Options, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(mcs) > 64 {
		errs = append(errs, field.TooMany(p, len(mcs), 64))
	}
	names := sets.New[string]()
	for i, mc := range mcs {
		ip := p.Index(i)
		if mc.Name == "" {
			errs = append(errs, field.Required(ip.Child("name"), ""))
		} else {
			errs = append(errs, qualifiedName(mc.Name, ip.Child("name"))...)
			if names.Has(mc.Name) {
				errs = append(errs, field.Duplicate(ip.Child("name"), mc.Name))
			}
			names.Insert(mc.Name)
		}
		if strings.TrimSpace(mc.Expression) == "" {
			errs = append(errs, field.Required(ip.Child("expression"), ""))
		} else {
			errs = append(errs, compileField(ip.Child("expression"), strings.TrimSpace(mc.Expression), o, celgo.BoolType)...)
		}
	}
	return errs
}

var webhookConditionOptions = cel.Options{Authorizer: true}

func validateValidatingWebhookConfiguration(c *admv1.ValidatingWebhookConfiguration) field.ErrorList {
	errs := objectMeta(&c.ObjectMeta, false, nameIsDNSSubdomain)
	for i, w := range c.Webhooks {
		errs = append(errs, matchConditions(w.MatchConditions, webhookConditionOptions, field.NewPath("webhooks").Index(i).Child("matchConditions"))...)
	}
	return errs
}

func validateMutatingWebhookConfiguration(c *admv1.MutatingWebhookConfiguration) field.ErrorList {
	errs := objectMeta(&c.ObjectMeta, false, nameIsDNSSubdomain)
	for i, w := range c.Webhooks {
		errs = append(errs, matchConditions(w.MatchConditions, webhookConditionOptions, field.NewPath("webhooks").Index(i).Child("matchConditions"))...)
	}
	return errs
}

// policyVariables checks a policy's variables: CEL identifiers, each
// expression compiling.
func policyVariables(vars []admv1.Variable, o cel.Options, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, v := range vars {
		ip := p.Index(i)
		if strings.TrimSpace(v.Name) == "" {
			errs = append(errs, field.Required(ip.Child("name"), "name is not specified"))
		} else if !isCELIdentifier(v.Name) {
			errs = append(errs, field.Invalid(ip.Child("name"), v.Name, "must be a valid CEL identifier"))
		}
		if strings.TrimSpace(v.Expression) == "" {
			errs = append(errs, field.Required(ip.Child("expression"), "expression is not specified"))
		} else {
			errs = append(errs, compileField(ip.Child("expression"), v.Expression, o)...)
		}
	}
	return errs
}

func isCELIdentifier(s string) bool {
	for i, r := range s {
		letter := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return s != ""
}

var policyReasons = sets.New(string(metav1.StatusReasonUnauthorized), string(metav1.StatusReasonForbidden),
	string(metav1.StatusReasonInvalid), string(metav1.StatusReasonRequestEntityTooLarge))

func failurePolicy(f *admv1.FailurePolicyType, p *field.Path) field.ErrorList {
	if f != nil && *f != admv1.Fail && *f != admv1.Ignore {
		return field.ErrorList{field.NotSupported(p, *f, []string{string(admv1.Fail), string(admv1.Ignore)})}
	}
	return nil
}

func validateValidatingAdmissionPolicy(vap *admv1.ValidatingAdmissionPolicy) field.ErrorList {
	errs := objectMeta(&vap.ObjectMeta, false, nameIsDNSSubdomain)
	spec := field.NewPath("spec")
	s := &vap.Spec
	o := cel.Options{Params: s.ParamKind != nil, Policy: true, Authorizer: true}
	if s.MatchConstraints == nil {
		errs = append(errs, field.Required(spec.Child("matchConstraints"), ""))
	} else if len(s.MatchConstraints.ResourceRules) == 0 {
		errs = append(errs, field.Required(spec.Child("matchConstraints", "resourceRules"), ""))
	}
	errs = append(errs, failurePolicy(s.FailurePolicy, spec.Child("failurePolicy"))...)
	if len(s.Validations) == 0 && len(s.AuditAnnotations) == 0 {
		errs = append(errs, field.Required(spec.Child("validations"), "validations or auditAnnotations must contain at least one item"))
	}
	errs = append(errs, matchConditions(s.MatchConditions, cel.Options{Params: s.ParamKind != nil, Authorizer: true}, spec.Child("matchConditions"))...)
	errs = append(errs, policyVariables(s.Variables, o, spec.Child("variables"))...)
	for i, v := range s.Validations {
		p := spec.Child("validations").Index(i)
		if strings.TrimSpace(v.Expression) == "" {
			errs = append(errs, field.Required(p.Child("expression"), "expression is not specified"))
		} else {
			errs = append(errs, compileField(p.Child("expression"), v.Expression, o, celgo.BoolType)...)
		}
		if len(v.MessageExpression) > 0 && strings.TrimSpace(v.MessageExpression) == "" {
			errs = append(errs, field.Invalid(p.Child("messageExpression"), v.MessageExpression, "must be non-empty if specified"))
		} else if strings.TrimSpace(v.MessageExpression) != "" {
			mo := o
			mo.Authorizer = false
			errs = append(errs, compileField(p.Child("messageExpression"), v.MessageExpression, mo, celgo.StringType)...)
		}
		if strings.Contains(strings.TrimSpace(v.Message), "\n") {
			errs = append(errs, field.Invalid(p.Child("message"), v.Message, "must not contain line breaks"))
		}
		if v.Reason != nil && !policyReasons.Has(string(*v.Reason)) {
			errs = append(errs, field.NotSupported(p.Child("reason"), *v.Reason, sets.List(policyReasons)))
		}
	}
	return errs
}

func validateValidatingAdmissionPolicyBinding(b *admv1.ValidatingAdmissionPolicyBinding) field.ErrorList {
	errs := objectMeta(&b.ObjectMeta, false, nameIsDNSSubdomain)
	spec := field.NewPath("spec")
	if b.Spec.PolicyName == "" {
		errs = append(errs, field.Required(spec.Child("policyName"), ""))
	}
	if len(b.Spec.ValidationActions) == 0 {
		errs = append(errs, field.Required(spec.Child("validationActions"), ""))
	}
	seen := sets.New[admv1.ValidationAction]()
	for i, a := range b.Spec.ValidationActions {
		p := spec.Child("validationActions").Index(i)
		switch {
		case seen.Has(a):
			errs = append(errs, field.Duplicate(p, a))
		case a != admv1.Deny && a != admv1.Warn && a != admv1.Audit:
			errs = append(errs, field.NotSupported(p, a, []string{string(admv1.Audit), string(admv1.Deny), string(admv1.Warn)}))
		}
		seen.Insert(a)
	}
	if seen.Has(admv1.Deny) && seen.Has(admv1.Warn) {
		errs = append(errs, field.Invalid(spec.Child("validationActions"), b.Spec.ValidationActions, "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)"))
	}
	return errs
}

func validateMutatingAdmissionPolicy(m *admv1.MutatingAdmissionPolicy) field.ErrorList {
	errs := objectMeta(&m.ObjectMeta, false, nameIsDNSSubdomain)
	spec := field.NewPath("spec")
	s := &m.Spec
	o := cel.Options{Params: s.ParamKind != nil, Policy: true, Authorizer: true}
	if s.MatchConstraints == nil {
		errs = append(errs, field.Required(spec.Child("matchConstraints"), ""))
	}
	errs = append(errs, failurePolicy(s.FailurePolicy, spec.Child("failurePolicy"))...)
	errs = append(errs, matchConditions(s.MatchConditions, cel.Options{Params: s.ParamKind != nil, Authorizer: true}, spec.Child("matchConditions"))...)
	errs = append(errs, policyVariables(s.Variables, o, spec.Child("variables"))...)
	if len(s.Mutations) == 0 {
		errs = append(errs, field.Required(spec.Child("mutations"), "mutations must contain at least one item"))
	}
	mo := o
	mo.Mutation = true
	for i, mu := range s.Mutations {
		p := spec.Child("mutations").Index(i)
		switch mu.PatchType {
		case admv1.PatchTypeApplyConfiguration:
			if mu.ApplyConfiguration == nil {
				errs = append(errs, field.Required(p.Child("applyConfiguration"), "must be specified when patchType is ApplyConfiguration"))
			} else {
				errs = append(errs, compileField(p.Child("applyConfiguration", "expression"), mu.ApplyConfiguration.Expression, mo,
					celgo.ObjectType(cel.ObjectTypeName))...)
			}
		case admv1.PatchTypeJSONPatch:
			if mu.JSONPatch == nil {
				errs = append(errs, field.Required(p.Child("jsonPatch"), "must be specified when patchType is JSONPatch"))
			} else {
				errs = append(errs, compileField(p.Child("jsonPatch", "expression"), mu.JSONPatch.Expression, mo,
					celgo.ListType(celgo.ObjectType(cel.JSONPatchTypeName)))...)
			}
		case "":
			errs = append(errs, field.Required(p.Child("patchType"), ""))
		default:
			errs = append(errs, field.NotSupported(p.Child("patchType"), mu.PatchType,
				[]string{string(admv1.PatchTypeApplyConfiguration), string(admv1.PatchTypeJSONPatch)}))
		}
	}
	return errs
}

func validateMutatingAdmissionPolicyBinding(b *admv1.MutatingAdmissionPolicyBinding) field.ErrorList {
	errs := objectMeta(&b.ObjectMeta, false, nameIsDNSSubdomain)
	if b.Spec.PolicyName == "" {
		errs = append(errs, field.Required(field.NewPath("spec", "policyName"), ""))
	}
	return errs
}
