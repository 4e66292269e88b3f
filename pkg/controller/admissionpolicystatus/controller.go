package admissionpolicystatus

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"

	admv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	admlisters "k8s.io/client-go/listers/admissionregistration/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/cel"
	"github.com/tinykube/tinykube/pkg/controller"
)

// Controller writes ValidatingAdmissionPolicies' status.typeChecking.
type Controller struct {
	client   kubernetes.Interface
	policies admlisters.ValidatingAdmissionPolicyLister
	synced   cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
	compiler *cel.Compiler

	mu    sync.Mutex
	kinds map[schema.GroupVersionResource]schema.GroupVersionKind
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller on the shared ValidatingAdmissionPolicy
// informer.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	inf := cc.Informers.Admissionregistration().V1().ValidatingAdmissionPolicies()
	c := &Controller{
		client: cc.Client, policies: inf.Lister(), synced: inf.Informer().HasSynced,
		queue:    controller.NewClockedQueue[string]("validatingadmissionpolicy_status", cc.Clock),
		compiler: cel.NewCompiler(),
		kinds:    map[schema.GroupVersionResource]schema.GroupVersionKind{},
	}
	_, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj any) { c.enqueue(obj) },
	})
	return c, err
}

func (c *Controller) enqueue(obj any) {
	if p, ok := obj.(*admv1.ValidatingAdmissionPolicy); ok && !checked(p) {
		c.queue.Add(p.Name)
	}
}

// checked reports a policy whose current generation has been checked.
func checked(p *admv1.ValidatingAdmissionPolicy) bool {
	return p.Status.TypeChecking != nil && p.Status.ObservedGeneration == p.Generation
}

// Run waits for the cache, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	controller.RunWorkers(ctx, "validatingadmissionpolicy_status", c.queue, []cache.InformerSynced{c.synced}, workers, c.sync)
}

func (c *Controller) sync(ctx context.Context, name string) error {
	p, err := c.policies.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if checked(p) {
		return nil
	}
	p = p.DeepCopy()
	p.Status.ObservedGeneration = p.Generation
	p.Status.TypeChecking = &admv1.TypeChecking{ExpressionWarnings: c.check(p)}
	_, err = c.client.AdmissionregistrationV1().ValidatingAdmissionPolicies().UpdateStatus(ctx, p, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// check type-checks the validations against every kind the policy
// matches (upstream's TypeChecker.Check: one warning per expression, the
// issues of each kind prefixed with its GroupVersionKind).
func (c *Controller) check(p *admv1.ValidatingAdmissionPolicy) []admv1.ExpressionWarning {
	kinds := c.matchedKinds(p)
	if len(kinds) == 0 {
		return nil
	}
	opts := cel.Options{Params: p.Spec.ParamKind != nil, Policy: true, Authorizer: true}
	var warnings []admv1.ExpressionWarning
	checkOne := func(expr string, o cel.Options, ref *field.Path) {
		var msgs []string
		for _, k := range kinds {
			if issues := c.compiler.TypeCheck(expr, o, k.t); issues != "" {
				msgs = append(msgs, fmt.Sprintf("%v: %s\n", k.gvk, issues))
			}
		}
		if len(msgs) > 0 {
			warnings = append(warnings, admv1.ExpressionWarning{FieldRef: ref.String(), Warning: strings.Join(msgs, "\n")})
		}
	}
	path := field.NewPath("spec", "validations")
	for i, v := range p.Spec.Validations {
		checkOne(v.Expression, opts, path.Index(i).Child("expression"))
		if v.MessageExpression != "" {
			mo := opts
			mo.Authorizer = false
			checkOne(v.MessageExpression, mo, path.Index(i).Child("messageExpression"))
		}
	}
	return warnings
}

type kind struct {
	gvk schema.GroupVersionKind
	t   reflect.Type
}

// matchedKinds resolves the policy's resourceRules (without wildcards)
// to the Go types of built-in kinds.
func (c *Controller) matchedKinds(p *admv1.ValidatingAdmissionPolicy) []kind {
	if p.Spec.MatchConstraints == nil {
		return nil
	}
	var out []kind
	seen := map[schema.GroupVersionKind]bool{}
	for _, r := range p.Spec.MatchConstraints.ResourceRules {
		for _, g := range r.APIGroups {
			for _, v := range r.APIVersions {
				for _, res := range r.Resources {
					if g == "*" || v == "*" || strings.ContainsAny(res, "*/") {
						continue
					}
					gvk, ok := c.kindFor(schema.GroupVersionResource{Group: g, Version: v, Resource: res})
					if !ok || seen[gvk] {
						continue
					}
					t, ok := scheme.Scheme.AllKnownTypes()[gvk]
					if !ok {
						continue
					}
					seen[gvk] = true
					out = append(out, kind{gvk: gvk, t: t})
				}
			}
		}
	}
	return out
}

// kindFor finds a resource's kind through discovery (cached per
// resource).
func (c *Controller) kindFor(gvr schema.GroupVersionResource) (schema.GroupVersionKind, bool) {
	c.mu.Lock()
	gvk, ok := c.kinds[gvr]
	c.mu.Unlock()
	if ok {
		return gvk, true
	}
	list, err := c.client.Discovery().ServerResourcesForGroupVersion(gvr.GroupVersion().String())
	if err != nil {
		return schema.GroupVersionKind{}, false
	}
	for _, r := range list.APIResources {
		if r.Name == gvr.Resource {
			gvk = gvr.GroupVersion().WithKind(r.Kind)
			c.mu.Lock()
			c.kinds[gvr] = gvk
			c.mu.Unlock()
			return gvk, true
		}
	}
	return schema.GroupVersionKind{}, false
}
