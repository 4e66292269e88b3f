package registry

import (
	"context"

	admv1 "k8s.io/api/admissionregistration/v1"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/admissionpolicy"
	"github.com/tinykube/tinykube/pkg/registry/core/namespace"
	"github.com/tinykube/tinykube/pkg/registry/core/pod"
	"github.com/tinykube/tinykube/pkg/registry/core/serviceaccount"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// admissionChain is the server's admission order: every create and update
// of every store runs this list, in this order (step 4 of the write path,
// pkg/registry/generic/writepath.go). It follows upstream's
// (kube-apiserver's recommended plugin order): mutating plugins first,
// then validating ones, ResourceQuota last so it charges the object as
// the others left it (a pod's requests as LimitRanger filled them in, its
// priority as Priority resolved it).
//
// Store-level allocators run after the whole chain (generic.Store
// Allocator), as upstream's REST storage allocates after admission: a
// Service that quota refuses allocates no ClusterIP or NodePort.
//
// MutatingAdmissionPolicy runs after the built-in mutating plugins and
// ValidatingAdmissionPolicy just before ResourceQuota, as upstream
// (pkg/admissionpolicy). Unlike upstream, the chain runs after the
// strategy's validation (writepath.go), so the mutating plugin
// validates an object its policies changed once more itself.
//
// Plugins still to come slot in by name where upstream has them, e.g.
// NodeRestriction after ServiceAccount, PodSecurity before Priority,
// MutatingAdmissionWebhook after MutatingAdmissionPolicy,
// ValidatingAdmissionWebhook after ValidatingAdmissionPolicy.
func admissionChain(reg *Registry) generic.Chain {
	lifecycle := namespace.Lifecycle{Namespaces: reg.Store("", "namespaces")}
	return generic.Chain{
		{Name: "NamespaceLifecycle", Admit: lifecycle.Admit},
		{Name: "LimitRanger", Admit: onCreate(podsResource, pod.LimitRanger{LimitRanges: reg.Store("", "limitranges")}.Admit)},
		{Name: "ServiceAccount", Admit: serviceaccount.Admission{ServiceAccounts: reg.Store("", "serviceaccounts")}.Admit},
		{Name: "Priority", Admit: onCreate(podsResource, pod.Priority{Classes: reg.Store("scheduling.k8s.io", "priorityclasses")}.Admit)},
		{Name: "RuntimeClass", Admit: onCreate(podsResource, pod.RuntimeClass{Classes: reg.Store("node.k8s.io", "runtimeclasses")}.Admit)},
		{Name: "MutatingAdmissionPolicy", Admit: reg.mutatingPolicies().Admit},
		{Name: "ValidatingAdmissionPolicy", Admit: reg.validatingPolicies().Admit},
		{Name: "ResourceQuota", Admit: reg.Quota.Admit},
	}
}

// validatingPolicies is the ValidatingAdmissionPolicy plugin on the
// registry's stores (read through their watch caches).
func (r *Registry) validatingPolicies() *admissionpolicy.Validating {
	return &admissionpolicy.Validating{
		Policies:   r.Store(admv1.GroupName, "validatingadmissionpolicies"),
		Bindings:   r.Store(admv1.GroupName, "validatingadmissionpolicybindings"),
		Namespaces: r.Store("", "namespaces"),
		Params:     r.paramSource,
		Compiler:   r.CEL,
	}
}

// mutatingPolicies is the MutatingAdmissionPolicy plugin on the
// registry's stores.
func (r *Registry) mutatingPolicies() *admissionpolicy.Mutating {
	return &admissionpolicy.Mutating{
		Policies:   r.Store(admv1.GroupName, "mutatingadmissionpolicies"),
		Bindings:   r.Store(admv1.GroupName, "mutatingadmissionpolicybindings"),
		Namespaces: r.Store("", "namespaces"),
		Params:     r.paramSource,
		Compiler:   r.CEL,
	}
}

// paramSource finds the store serving a policy's paramKind. Custom
// resources are not found here (their stores live outside the registry):
// a policy whose params are custom resources fails per its
// failurePolicy.
func (r *Registry) paramSource(gvk schema.GroupVersionKind) (admissionpolicy.Lister, bool, bool) {
	for gvr, s := range r.Stores {
		if gvr.GroupVersion() == gvk.GroupVersion() && s.Resource.Kind == gvk.Kind {
			return s, s.Resource.Namespaced, true
		}
	}
	return nil, false, false
}

var podsResource = schema.GroupResource{Resource: "pods"}

// onCreate adapts a create hook of one resource to a plugin's Admit.
func onCreate(gr schema.GroupResource, hook func(ctx context.Context, obj runtime.Object, dryRun bool) error) func(context.Context, *generic.Attributes) error {
	return func(ctx context.Context, a *generic.Attributes) error {
		if a.Operation != generic.Create || a.Resource.GVR().GroupResource() != gr {
			return nil
		}
		return hook(ctx, a.Object, a.DryRun)
	}
}
