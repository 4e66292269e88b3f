package admissionpolicy

import (
	"context"
	"fmt"
	"reflect"
	"sort"

	celgo "github.com/google/cel-go/cel"
	admv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/api/validation"
	"github.com/tinykube/tinykube/pkg/cel"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Mutating is the MutatingAdmissionPolicy plugin.
type Mutating struct {
	Policies, Bindings, Namespaces Lister
	Params                         ParamSource
	Compiler                       *cel.Compiler

	cache compiledCache[compiledMutating]
}

type compiledMutating struct {
	err        error
	conditions []*cel.Program
	variables  []cel.Variable
	mutations  []compiledMutation
}

type compiledMutation struct {
	patchType admv1.PatchType
	prog      *cel.Program
}

func (m *Mutating) compile(p *admv1.MutatingAdmissionPolicy) *compiledMutating {
	opts := cel.Options{Params: p.Spec.ParamKind != nil, Policy: true, Authorizer: true}
	out := &compiledMutating{}
	fail := func(field string, err error) *compiledMutating {
		return &compiledMutating{err: fmt.Errorf("%s: %w", field, err)}
	}
	for i, mc := range p.Spec.MatchConditions {
		prog, err := m.Compiler.Compile(mc.Expression, opts, celgo.BoolType)
		if err != nil {
			return fail(fmt.Sprintf("spec.matchConditions[%d].expression", i), err)
		}
		out.conditions = append(out.conditions, prog)
	}
	for i, vr := range p.Spec.Variables {
		prog, err := m.Compiler.Compile(vr.Expression, opts)
		if err != nil {
			return fail(fmt.Sprintf("spec.variables[%d].expression", i), err)
		}
		out.variables = append(out.variables, cel.Variable{Name: vr.Name, Program: prog})
	}
	mopts := opts
	mopts.Mutation = true
	for i, mu := range p.Spec.Mutations {
		expr := ""
		switch {
		case mu.PatchType == admv1.PatchTypeApplyConfiguration && mu.ApplyConfiguration != nil:
			expr = mu.ApplyConfiguration.Expression
		case mu.PatchType == admv1.PatchTypeJSONPatch && mu.JSONPatch != nil:
			expr = mu.JSONPatch.Expression
		default:
			return fail(fmt.Sprintf("spec.mutations[%d]", i), fmt.Errorf("unsupported patchType %q", mu.PatchType))
		}
		prog, err := m.Compiler.Compile(expr, mopts)
		if err != nil {
			return fail(fmt.Sprintf("spec.mutations[%d]", i), err)
		}
		out.mutations = append(out.mutations, compiledMutation{patchType: mu.PatchType, prog: prog})
	}
	return out
}

// invocation is one policy under one binding with one param.
type invocation struct {
	policy  *admv1.MutatingAdmissionPolicy
	binding *admv1.MutatingAdmissionPolicyBinding
	param   any
	c       *compiledMutating
}

// Admit applies every MutatingAdmissionPolicy bound to the write, in
// policy name order. A policy with reinvocationPolicy IfNeeded runs once
// more if a later policy changed the object after it (upstream's
// reinvocation, within this plugin).
func (m *Mutating) Admit(ctx context.Context, a *generic.Attributes) error {
	if exempt(a) {
		return nil
	}
	list, err := m.Policies.ListFromCache(ctx, "")
	if err != nil {
		return err
	}
	policies := list.(*admv1.MutatingAdmissionPolicyList).Items
	live := make(map[types.UID]bool, len(policies))
	for i := range policies {
		live[policies[i].UID] = true
	}
	m.cache.retain(live)
	if len(policies) == 0 {
		return nil
	}
	blist, err := m.Bindings.ListFromCache(ctx, "")
	if err != nil {
		return err
	}
	bindings := map[string][]*admv1.MutatingAdmissionPolicyBinding{}
	for i := range blist.(*admv1.MutatingAdmissionPolicyBindingList).Items {
		b := &blist.(*admv1.MutatingAdmissionPolicyBindingList).Items[i]
		bindings[b.Spec.PolicyName] = append(bindings[b.Spec.PolicyName], b)
	}
	sort.Slice(policies, func(i, j int) bool { return policies[i].Name < policies[j].Name })
	req := newRequest(a, m.Namespaces)

	var invocations []invocation
	for i := range policies {
		p := &policies[i]
		bs := bindings[p.Name]
		if len(bs) == 0 {
			continue
		}
		failOpen := p.Spec.FailurePolicy != nil && *p.Spec.FailurePolicy == admv1.Ignore
		ok, err := req.matchResources(ctx, p.Spec.MatchConstraints)
		if err != nil && !failOpen {
			return policyError(a, p.Name, "", err)
		}
		if !ok || err != nil {
			continue
		}
		c := m.cache.get(p.UID, p.Generation, func() *compiledMutating { return m.compile(p) })
		for _, b := range bs {
			ok, err := req.matchResources(ctx, b.Spec.MatchResources)
			if err != nil && !failOpen {
				return policyError(a, p.Name, b.Name, err)
			}
			if !ok || err != nil {
				continue
			}
			if c.err != nil {
				if !failOpen {
					return policyError(a, p.Name, b.Name, c.err)
				}
				continue
			}
			params, err := collectParams(ctx, m.Params, p.Spec.ParamKind, b.Spec.ParamRef, a.Namespace)
			if err != nil {
				if !failOpen {
					return policyError(a, p.Name, b.Name, err)
				}
				continue
			}
			for _, param := range params {
				invocations = append(invocations, invocation{policy: p, binding: b, param: param, c: c})
			}
		}
	}
	lastChange := -1
	changedAt := make([]bool, len(invocations))
	for i, inv := range invocations {
		changed, err := m.invoke(ctx, req, inv)
		if err != nil {
			return err
		}
		if changed {
			changedAt[i], lastChange = true, i
		}
	}
	for i, inv := range invocations {
		if inv.policy.Spec.ReinvocationPolicy == admv1.IfNeededReinvocationPolicy && i < lastChange {
			if _, err := m.invoke(ctx, req, inv); err != nil {
				return err
			}
		}
	}
	if lastChange >= 0 {
		return revalidate(a)
	}
	return nil
}

// revalidate validates a built-in object again after policies changed
// it: upstream validates after mutating admission, tinykube's write path
// validated before (writepath.go), so a mutation that breaks the object
// is refused here with the same 422 the strategy would give.
func revalidate(a *generic.Attributes) error {
	if _, ok := a.Object.(*unstructured.Unstructured); ok {
		return nil
	}
	var errs field.ErrorList
	switch {
	case a.Old == nil:
		errs = validation.ValidateCreate(a.Object)
	case a.Subresource == "status":
		errs = validation.ValidateStatusUpdate(a.Object, a.Old)
	default:
		errs = validation.ValidateUpdate(a.Object, a.Old)
	}
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(a.Resource.GVK().GroupKind(), a.Name, errs)
}

// invoke applies one invocation's mutations to a.Object and reports
// whether the object changed.
func (m *Mutating) invoke(ctx context.Context, req *request, inv invocation) (bool, error) {
	p, b := inv.policy, inv.binding
	failOpen := p.Spec.FailurePolicy != nil && *p.Spec.FailurePolicy == admv1.Ignore
	fail := func(err error) (bool, error) {
		if failOpen {
			return false, nil
		}
		return false, policyError(req.a, p.Name, b.Name, err)
	}
	in, err := req.input(ctx, inv.param)
	if err != nil {
		return false, err
	}
	cel.NewVariables(inv.c.variables, in)
	match, err := matchConditions(inv.c.conditions, in)
	if err != nil {
		return fail(err)
	}
	if !match {
		return false, nil
	}
	changed := false
	for _, mu := range inv.c.mutations {
		obj, _, err := req.objects()
		if err != nil {
			return false, err
		}
		cur := runtime.DeepCopyJSONValue(obj).(map[string]any)
		out, err := mu.prog.Eval(in)
		if err != nil {
			return fail(fmt.Errorf("mutation expression '%s' resulted in error: %w", mu.prog.Expression, err))
		}
		var next map[string]any
		switch mu.patchType {
		case admv1.PatchTypeApplyConfiguration:
			patch, err := cel.ToJSON(out)
			if err != nil {
				return fail(err)
			}
			pm, ok := patch.(map[string]any)
			if !ok {
				return fail(fmt.Errorf("ApplyConfiguration must evaluate to an Object, got %T", patch))
			}
			if next, err = applyConfiguration(cur, pm); err != nil {
				return fail(err)
			}
		case admv1.PatchTypeJSONPatch:
			if next, err = applyJSONPatch(cur, out); err != nil {
				return fail(err)
			}
		}
		if equality.Semantic.DeepEqual(next, obj) {
			continue
		}
		if err := setObject(req.a, next); err != nil {
			return fail(err)
		}
		req.invalidate()
		// Later mutations and policies see the mutated object.
		if in, err = req.input(ctx, inv.param); err != nil {
			return false, err
		}
		cel.NewVariables(inv.c.variables, in)
		changed = true
	}
	return changed, nil
}

// setObject writes the mutated JSON object back into a.Object (in place:
// the caller holds that pointer), defaulted as upstream defaults a
// policy's result.
func setObject(a *generic.Attributes, obj map[string]any) error {
	if u, ok := a.Object.(*unstructured.Unstructured); ok {
		u.Object = obj
		return nil
	}
	gvk := a.Object.GetObjectKind().GroupVersionKind()
	fresh := reflect.New(reflect.TypeOf(a.Object).Elem()).Interface().(runtime.Object)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, fresh); err != nil {
		return fmt.Errorf("mutation result does not fit %s: %w", a.Resource.Kind, err)
	}
	api.Scheme.Default(fresh)
	fresh.GetObjectKind().SetGroupVersionKind(gvk)
	reflect.ValueOf(a.Object).Elem().Set(reflect.ValueOf(fresh).Elem())
	return nil
}

// policyError is upstream's refusal by a mutating policy (403 Forbidden,
// "policy 'p' with binding 'b' denied request: …").
func policyError(a *generic.Attributes, policy, binding string, err error) error {
	msg := fmt.Sprintf("policy %q denied request: %v", policy, err)
	if binding != "" {
		msg = fmt.Sprintf("policy '%s' with binding '%s' denied request: %v", policy, binding, err)
	}
	out := apierrors.NewForbidden(a.Resource.GVR().GroupResource(), a.Name, fmt.Errorf("admission request denied by policy"))
	out.ErrStatus.Message = msg
	return out
}
