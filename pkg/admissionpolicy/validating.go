package admissionpolicy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	celgo "github.com/google/cel-go/cel"
	admv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tinykube/tinykube/pkg/cel"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Validating is the ValidatingAdmissionPolicy plugin.
type Validating struct {
	Policies, Bindings, Namespaces Lister
	Params                         ParamSource
	Compiler                       *cel.Compiler

	cache compiledCache[compiledValidating]
}

// compiledValidating is one policy generation, compiled.
type compiledValidating struct {
	// err is a configuration error (an expression that does not
	// compile): it fails every request the policy matches, per its
	// failurePolicy.
	err         error
	conditions  []*cel.Program
	variables   []cel.Variable
	validations []compiledValidation
}

type compiledValidation struct {
	admv1.Validation
	expr, message *cel.Program
}

func (v *Validating) compile(p *admv1.ValidatingAdmissionPolicy) *compiledValidating {
	opts := cel.Options{Params: p.Spec.ParamKind != nil, Policy: true, Authorizer: true}
	out := &compiledValidating{}
	fail := func(field string, err error) *compiledValidating {
		return &compiledValidating{err: fmt.Errorf("%s: %w", field, err)}
	}
	for i, mc := range p.Spec.MatchConditions {
		prog, err := v.Compiler.Compile(mc.Expression, opts, celgo.BoolType)
		if err != nil {
			return fail(fmt.Sprintf("spec.matchConditions[%d].expression", i), err)
		}
		out.conditions = append(out.conditions, prog)
	}
	for i, vr := range p.Spec.Variables {
		prog, err := v.Compiler.Compile(vr.Expression, opts)
		if err != nil {
			return fail(fmt.Sprintf("spec.variables[%d].expression", i), err)
		}
		out.variables = append(out.variables, cel.Variable{Name: vr.Name, Program: prog})
	}
	for i, val := range p.Spec.Validations {
		c := compiledValidation{Validation: val}
		var err error
		if c.expr, err = v.Compiler.Compile(val.Expression, opts, celgo.BoolType); err != nil {
			return fail(fmt.Sprintf("spec.validations[%d].expression", i), err)
		}
		if strings.TrimSpace(val.MessageExpression) != "" {
			if c.message, err = v.Compiler.Compile(val.MessageExpression, opts, celgo.StringType); err != nil {
				return fail(fmt.Sprintf("spec.validations[%d].messageExpression", i), err)
			}
		}
		out.validations = append(out.validations, c)
	}
	return out
}

// decision is a refusal by one validation (or a failure that the
// policy's failurePolicy turns into one).
type decision struct {
	message string
	reason  metav1.StatusReason
}

// Admit runs every ValidatingAdmissionPolicy bound to the write.
func (v *Validating) Admit(ctx context.Context, a *generic.Attributes) error {
	if exempt(a) {
		return nil
	}
	list, err := v.Policies.ListFromCache(ctx, "")
	if err != nil {
		return err
	}
	policies := list.(*admv1.ValidatingAdmissionPolicyList).Items
	live := make(map[types.UID]bool, len(policies))
	for i := range policies {
		live[policies[i].UID] = true
	}
	v.cache.retain(live)
	if len(policies) == 0 {
		return nil
	}
	blist, err := v.Bindings.ListFromCache(ctx, "")
	if err != nil {
		return err
	}
	bindings := map[string][]*admv1.ValidatingAdmissionPolicyBinding{}
	for i := range blist.(*admv1.ValidatingAdmissionPolicyBindingList).Items {
		b := &blist.(*admv1.ValidatingAdmissionPolicyBindingList).Items[i]
		bindings[b.Spec.PolicyName] = append(bindings[b.Spec.PolicyName], b)
	}
	sort.Slice(policies, func(i, j int) bool { return policies[i].Name < policies[j].Name })
	req := newRequest(a, v.Namespaces)
	for i := range policies {
		p := &policies[i]
		bs := bindings[p.Name]
		if len(bs) == 0 || p.Spec.MatchConstraints == nil {
			continue
		}
		failOpen := p.Spec.FailurePolicy != nil && *p.Spec.FailurePolicy == admv1.Ignore
		ok, err := req.matchResources(ctx, p.Spec.MatchConstraints)
		if err != nil {
			if failOpen {
				continue
			}
			return denied(a, p.Name, "", decision{message: err.Error()})
		}
		if !ok {
			continue
		}
		compiled := v.cache.get(p.UID, p.Generation, func() *compiledValidating { return v.compile(p) })
		for _, b := range bs {
			if ok, err := req.matchResources(ctx, b.Spec.MatchResources); err != nil || !ok {
				if err != nil && !failOpen {
					return denied(a, p.Name, b.Name, decision{message: err.Error()})
				}
				continue
			}
			ds, err := v.evaluate(ctx, req, p, b, compiled)
			if err != nil {
				return err
			}
			for _, d := range ds {
				for _, action := range b.Spec.ValidationActions {
					switch action {
					case admv1.Deny:
						return denied(a, p.Name, b.Name, d)
					case admv1.Warn:
						generic.AddWarning(ctx, fmt.Sprintf("Validation failed for ValidatingAdmissionPolicy '%s' with binding '%s': %s", p.Name, b.Name, d.message))
					case admv1.Audit:
						// Audit annotations go to the audit log, which
						// tinykube does not write (yet): nothing to do.
					}
				}
			}
		}
	}
	return nil
}

// evaluate runs one policy under one binding: once per param the binding
// selects. Failures become refusals unless the failurePolicy is Ignore.
func (v *Validating) evaluate(ctx context.Context, req *request, p *admv1.ValidatingAdmissionPolicy,
	b *admv1.ValidatingAdmissionPolicyBinding, c *compiledValidating) ([]decision, error) {
	failOpen := p.Spec.FailurePolicy != nil && *p.Spec.FailurePolicy == admv1.Ignore
	failure := func(err error) []decision {
		if failOpen {
			return nil
		}
		return []decision{{message: err.Error()}}
	}
	if c.err != nil {
		return failure(c.err), nil
	}
	params, err := collectParams(ctx, v.Params, p.Spec.ParamKind, b.Spec.ParamRef, req.a.Namespace)
	if err != nil {
		return failure(err), nil
	}
	var out []decision
	for _, param := range params {
		in, err := req.input(ctx, param)
		if err != nil {
			return nil, err
		}
		cel.NewVariables(c.variables, in)
		match, err := matchConditions(c.conditions, in)
		if err != nil {
			out = append(out, failure(err)...)
			continue
		}
		if !match {
			continue
		}
		for _, val := range c.validations {
			ok, err := val.expr.EvalBool(in)
			if err != nil {
				out = append(out, failure(fmt.Errorf("expression '%s' resulted in error: %w", val.Expression, err))...)
				continue
			}
			if ok {
				continue
			}
			out = append(out, decision{message: val.messageFor(in), reason: reasonOr(val.Reason)})
		}
	}
	return out, nil
}

// messageFor is upstream's message choice: messageExpression's result if
// it is a non-empty single-line string, else message, else "failed
// expression: …".
func (val *compiledValidation) messageFor(in *cel.Input) string {
	if val.message != nil {
		if out, err := val.message.Eval(in); err == nil {
			if s, ok := out.Value().(string); ok {
				s = strings.TrimSpace(s)
				if s != "" && len(s) <= 5*1024 && !strings.Contains(s, "\n") {
					return s
				}
			}
		}
	}
	if m := strings.TrimSpace(val.Message); m != "" {
		return m
	}
	return "failed expression: " + strings.TrimSpace(val.Expression)
}

func reasonOr(r *metav1.StatusReason) metav1.StatusReason {
	if r == nil || *r == "" {
		return metav1.StatusReasonInvalid
	}
	return *r
}

// matchConditions: every condition true matches; any false does not
// match (even if another errs); otherwise an error is an error.
func matchConditions(conds []*cel.Program, in *cel.Input) (bool, error) {
	var firstErr error
	for _, c := range conds {
		ok, err := c.EvalBool(in)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("failed to evaluate matchCondition '%s': %w", c.Expression, err)
			}
			continue
		}
		if !ok {
			return false, nil
		}
	}
	return firstErr == nil, firstErr
}

// input builds what CEL sees for one param.
func (r *request) input(ctx context.Context, param any) (*cel.Input, error) {
	obj, old, err := r.objects()
	if err != nil {
		return nil, err
	}
	ns, err := r.namespaceObject(ctx)
	if err != nil {
		return nil, err
	}
	return &cel.Input{Object: obj, OldObject: old, Request: r.request(ctx), Params: param, Namespace: ns}, nil
}

// denied is upstream's refusal: a Forbidden-shaped Status whose reason
// (and code) is the validation's (Invalid, 422, by default).
func denied(a *generic.Attributes, policy, binding string, d decision) error {
	msg := fmt.Sprintf("ValidatingAdmissionPolicy '%s' denied request: %s", policy, d.message)
	if binding != "" {
		msg = fmt.Sprintf("ValidatingAdmissionPolicy '%s' with binding '%s' denied request: %s", policy, binding, d.message)
	}
	gr := a.Resource.GVR().GroupResource()
	if a.Subresource != "" {
		gr.Resource += "/" + a.Subresource
	}
	err := apierrors.NewForbidden(gr, a.Name, errors.New(msg))
	reason := d.reason
	if reason == "" {
		reason = metav1.StatusReasonInvalid
	}
	err.ErrStatus.Reason = reason
	err.ErrStatus.Code = reasonToCode(reason)
	err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Message: msg})
	return err
}

func reasonToCode(r metav1.StatusReason) int32 {
	switch r {
	case metav1.StatusReasonForbidden:
		return http.StatusForbidden
	case metav1.StatusReasonUnauthorized:
		return http.StatusUnauthorized
	case metav1.StatusReasonRequestEntityTooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusUnprocessableEntity
}
