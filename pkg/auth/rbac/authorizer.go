package rbac

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"

	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/auth/authz"
)

// Authorizer is the RBAC authorizer. It allows what a bound role's rule
// allows and has no opinion on the rest; it never denies.
type Authorizer struct {
	resolver *Resolver
}

var (
	_ authz.Authorizer   = (*Authorizer)(nil)
	_ authz.RuleResolver = (*Authorizer)(nil)
)

// New returns the RBAC authorizer over src.
func New(src Source) *Authorizer { return &Authorizer{resolver: NewResolver(src)} }

// Resolver is the authorizer's rule resolver (for the escalation checks).
func (z *Authorizer) Resolver() *Resolver { return z.resolver }

// Authorize allows a when a rule bound to its user matches, with
// upstream's reason "RBAC: allowed by ClusterRoleBinding ...". Otherwise
// it has no opinion; the reason then lists the bindings whose roles could
// not be read ("RBAC: clusterrole.rbac.authorization.k8s.io "x" not
// found"), as upstream's, and is empty if there were none.
func (z *Authorizer) Authorize(_ context.Context, a authz.Attributes) (authz.Decision, string, error) {
	if a.User == nil {
		return authz.NoOpinion, "", nil
	}
	var allowedBy fmt.Stringer
	var errs []error
	z.resolver.VisitRulesFor(a.User, a.Namespace, func(src fmt.Stringer, rule *rbacv1.PolicyRule, err error) bool {
		if rule != nil && RuleAllows(a, rule) {
			allowedBy = src
			return false
		}
		if err != nil {
			errs = append(errs, err)
		}
		return true
	})
	if allowedBy != nil {
		return authz.Allow, "RBAC: allowed by " + allowedBy.String(), nil
	}
	if len(errs) > 0 {
		return authz.NoOpinion, fmt.Sprintf("RBAC: %v", utilerrors.NewAggregate(errs)), nil
	}
	return authz.NoOpinion, "", nil
}

// RulesFor lists u's rules in namespace (and the cluster-wide ones) as
// a selfsubjectrulesreview shows them: one ResourceRule per rule naming
// resources, one NonResourceRule per rule naming URLs. A binding whose
// role cannot be read makes the answer incomplete.
func (z *Authorizer) RulesFor(_ context.Context, u *authn.User, namespace string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	rules, err := z.resolver.RulesFor(u, namespace)
	var res []authorizationv1.ResourceRule
	var nonRes []authorizationv1.NonResourceRule
	for _, r := range rules {
		if len(r.Resources) > 0 {
			res = append(res, authorizationv1.ResourceRule{Verbs: r.Verbs, APIGroups: r.APIGroups, Resources: r.Resources, ResourceNames: r.ResourceNames})
		}
		if len(r.NonResourceURLs) > 0 {
			nonRes = append(nonRes, authorizationv1.NonResourceRule{Verbs: r.Verbs, NonResourceURLs: r.NonResourceURLs})
		}
	}
	return res, nonRes, err != nil, err
}
