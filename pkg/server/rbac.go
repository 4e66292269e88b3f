package server

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"

	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/auth/authz"
	"github.com/tinykube/tinykube/pkg/auth/rbac"
	"github.com/tinykube/tinykube/pkg/auth/rbac/bootstrappolicy"
	"github.com/tinykube/tinykube/pkg/registry"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Authorization modes (--authorization-mode), as kube-apiserver's.
const (
	ModeAlwaysAllow = "AlwaysAllow"
	ModeRBAC        = "RBAC"
	// ModeNode is upstream's Node authorizer; tinykube does not have it
	// yet (nodes get system:node by group, bootstrappolicy).
	ModeNode = "Node"
)

// DefaultAuthorizationModes is RBAC, with system:masters (the admin
// kubeconfig and every in-process component) always allowed.
var DefaultAuthorizationModes = []string{ModeRBAC}

func validateAuthorizationModes(modes []string) error {
	if len(modes) == 0 {
		return fmt.Errorf("--authorization-mode: at least one mode is required")
	}
	seen := map[string]bool{}
	for _, m := range modes {
		switch m {
		case ModeAlwaysAllow, ModeRBAC:
		case ModeNode:
			return fmt.Errorf("--authorization-mode: mode %q is not implemented yet (nodes in system:nodes are bound to system:node by RBAC)", m)
		default:
			return fmt.Errorf("--authorization-mode: unknown mode %q (known: %s, %s)", m, ModeAlwaysAllow, ModeRBAC)
		}
		if seen[m] {
			return fmt.Errorf("--authorization-mode: mode %q given twice", m)
		}
		seen[m] = true
	}
	return nil
}

// authorizer builds the server's authorizer from cfg.AuthorizationModes,
// as kube-apiserver does: system:masters first, then each mode in order.
// With RBAC it reconciles the bootstrap policy, starts the RBAC
// informers on the watch caches and waits for them, and puts the
// escalation checks on the RBAC stores; stop ends the informers.
func (s *Server) authorizer(ctx context.Context, reg *registry.Registry) (a authz.Authorizer, stop func(), err error) {
	stop = func() {}
	as := []authz.Authorizer{authz.NewPrivilegedGroups(authn.GroupMasters)}
	for _, m := range s.cfg.AuthorizationModes {
		switch m {
		case ModeAlwaysAllow:
			as = append(as, authz.AlwaysAllow())
		case ModeRBAC:
			if err := reconcileRBAC(ctx, reg); err != nil {
				return nil, stop, err
			}
			infs := rbacInformers(reg)
			runCtx, cancel := context.WithCancel(context.Background())
			stop = cancel
			infs.Run(runCtx.Done())
			syncCtx, cancelSync := context.WithTimeout(ctx, time.Minute)
			ok := cache.WaitForCacheSync(syncCtx.Done(), infs.HasSynced)
			cancelSync()
			if !ok {
				return nil, stop, fmt.Errorf("RBAC informers did not sync")
			}
			r := rbac.New(rbac.NewInformerSource(infs))
			as = append(as, r)
			guardRBACWrites(reg, &rbac.Guard{Authorizer: authz.NewUnion(as...), Resolver: r.Resolver()})
		}
	}
	return authz.NewUnion(as...), stop, nil
}

// storeListWatch lists and watches a store (its watch cache) directly,
// for informers inside the server. It does not speak watch-list (initial
// events on the watch): the reflector lists, then watches.
type storeListWatch struct{ store *generic.Store }

func (lw storeListWatch) List(opts metav1.ListOptions) (runtime.Object, error) {
	return lw.store.List(context.Background(), "", &opts)
}

func (lw storeListWatch) Watch(opts metav1.ListOptions) (watch.Interface, error) {
	return lw.store.Watch(context.Background(), "", &opts)
}

// IsWatchListSemanticsUnSupported tells client-go's reflector to list
// first (it asks lister-watchers this).
func (storeListWatch) IsWatchListSemanticsUnSupported() bool { return true }

func rbacInformers(reg *registry.Registry) rbac.Informers {
	inf := func(resource string, obj runtime.Object) cache.SharedIndexInformer {
		return cache.NewSharedIndexInformer(storeListWatch{reg.Store(rbacv1.GroupName, resource)}, obj, 0,
			cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	}
	return rbac.Informers{
		Roles: inf("roles", &rbacv1.Role{}), RoleBindings: inf("rolebindings", &rbacv1.RoleBinding{}),
		ClusterRoles: inf("clusterroles", &rbacv1.ClusterRole{}), ClusterRoleBindings: inf("clusterrolebindings", &rbacv1.ClusterRoleBinding{}),
	}
}

// guardRBACWrites puts the escalation and bind checks first in the
// admission of the four RBAC stores, so they run on every create and
// update of a role or binding, as upstream's RBAC storage does. Writes
// without a user (the server's own, such as the bootstrap policy) are
// not checked, nor updates that leave the rules (and aggregationRule) or
// the roleRef as they were — a label change, say; upstream checks those
// too, unless only ownerReferences and finalizers change.
func guardRBACWrites(reg *registry.Registry, g *rbac.Guard) {
	plugin := generic.Plugin{Name: "RBACEscalation", Admit: func(ctx context.Context, a *generic.Attributes) error {
		u, ok := authn.UserFrom(ctx)
		if !ok {
			return nil
		}
		switch obj := a.Object.(type) {
		case *rbacv1.Role:
			if old, ok := a.Old.(*rbacv1.Role); ok && equalRules(old.Rules, obj.Rules) {
				return nil
			}
			return g.CheckRole(ctx, u, "roles", a.Namespace, obj.Name, obj.Rules, false)
		case *rbacv1.ClusterRole:
			if old, ok := a.Old.(*rbacv1.ClusterRole); ok && equalRules(old.Rules, obj.Rules) &&
				(old.AggregationRule == nil) == (obj.AggregationRule == nil) && old.AggregationRule.String() == obj.AggregationRule.String() {
				return nil
			}
			return g.CheckRole(ctx, u, "clusterroles", "", obj.Name, obj.Rules, obj.AggregationRule != nil)
		case *rbacv1.RoleBinding:
			if old, ok := a.Old.(*rbacv1.RoleBinding); ok && old.RoleRef == obj.RoleRef {
				return nil
			}
			return g.CheckBinding(ctx, u, "rolebindings", a.Namespace, obj.Name, obj.RoleRef)
		case *rbacv1.ClusterRoleBinding:
			if old, ok := a.Old.(*rbacv1.ClusterRoleBinding); ok && old.RoleRef == obj.RoleRef {
				return nil
			}
			return g.CheckBinding(ctx, u, "clusterrolebindings", "", obj.Name, obj.RoleRef)
		}
		return nil
	}}
	for _, resource := range []string{"roles", "clusterroles", "rolebindings", "clusterrolebindings"} {
		s := reg.Store(rbacv1.GroupName, resource)
		s.Admission = append(generic.Chain{plugin}, s.Admission...)
	}
}

func equalRules(a, b []rbacv1.PolicyRule) bool {
	return slices.EqualFunc(a, b, func(x, y rbacv1.PolicyRule) bool { return x.String() == y.String() })
}

// reconcileRBAC writes the bootstrap policy (bootstrappolicy) through
// the stores: missing objects are created, existing ones get what they
// lack unless annotated autoupdate "false". The namespaces of the
// bootstrap Roles are created first if missing.
func reconcileRBAC(ctx context.Context, reg *registry.Registry) error {
	for _, ns := range bootstrappolicy.Namespaces() {
		if err := ensure(ctx, reg.Store("", "namespaces"), "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return err
		}
	}
	var errs []string
	note := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	clusterRoles := reg.Store(rbacv1.GroupName, "clusterroles")
	for _, want := range bootstrappolicy.ClusterRoles() {
		note(reconcileOne(ctx, clusterRoles, "", want, func(cur runtime.Object) (runtime.Object, bool, bool) {
			out, changed := bootstrappolicy.ReconcileClusterRole(cur.(*rbacv1.ClusterRole), want)
			return out, changed, false
		}))
	}
	clusterBindings := reg.Store(rbacv1.GroupName, "clusterrolebindings")
	for _, want := range bootstrappolicy.ClusterRoleBindings() {
		note(reconcileOne(ctx, clusterBindings, "", want, func(cur runtime.Object) (runtime.Object, bool, bool) {
			return bootstrappolicy.ReconcileClusterRoleBinding(cur.(*rbacv1.ClusterRoleBinding), want)
		}))
	}
	roles := reg.Store(rbacv1.GroupName, "roles")
	for _, want := range bootstrappolicy.Roles() {
		note(reconcileOne(ctx, roles, want.Namespace, want, func(cur runtime.Object) (runtime.Object, bool, bool) {
			out, changed := bootstrappolicy.ReconcileRole(cur.(*rbacv1.Role), want)
			return out, changed, false
		}))
	}
	bindings := reg.Store(rbacv1.GroupName, "rolebindings")
	for _, want := range bootstrappolicy.RoleBindings() {
		note(reconcileOne(ctx, bindings, want.Namespace, want, func(cur runtime.Object) (runtime.Object, bool, bool) {
			return bootstrappolicy.ReconcileRoleBinding(cur.(*rbacv1.RoleBinding), want)
		}))
	}
	if len(errs) > 0 {
		return fmt.Errorf("RBAC bootstrap policy: %s", strings.Join(errs, "; "))
	}
	return nil
}

// reconcileOne creates want if missing, else updates the stored object
// as reconcile says (recreate: delete it and create want).
func reconcileOne(ctx context.Context, store *generic.Store, ns string, want runtime.Object,
	reconcile func(cur runtime.Object) (out runtime.Object, changed, recreate bool)) error {
	name := objectName(want)
	cur, exists, err := store.Exists(ctx, ns, name)
	if err != nil {
		return err
	}
	if !exists {
		return create(ctx, store, ns, want)
	}
	if _, changed, recreate := reconcile(cur); !changed {
		return nil
	} else if recreate {
		if _, _, err := store.Delete(ctx, ns, name, nil, false); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		return create(ctx, store, ns, want)
	}
	_, _, err = store.Update(ctx, ns, name, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(rbacv1.Resource(store.Resource.Name), name)
		}
		out, _, _ := reconcile(current)
		return out, nil
	}, generic.UpdateOptions{})
	return err
}
