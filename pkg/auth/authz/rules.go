package authz

import (
	"context"
	"errors"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/tinykube/tinykube/pkg/auth/authn"
)

// RuleResolver is implemented by authorizers that can list what a user
// may do in a namespace (selfsubjectrulesreviews, kubectl auth can-i
// --list). The rules are a summary for display: the authorizer's
// decisions, not the rules, are what requests are checked against.
type RuleResolver interface {
	// RulesFor returns the rules granting u access in namespace (and the
	// cluster-wide ones). incomplete is true when the authorizer cannot
	// enumerate everything it would allow; err says why.
	RulesFor(ctx context.Context, u *authn.User, namespace string) (resource []authorizationv1.ResourceRule,
		nonResource []authorizationv1.NonResourceRule, incomplete bool, err error)
}

var _ RuleResolver = alwaysAllow{}

// RulesFor: everything is allowed, which upstream's allow-all authorizer
// states as one wildcard rule of each kind.
func (alwaysAllow) RulesFor(context.Context, *authn.User, string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	return []authorizationv1.ResourceRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}},
		[]authorizationv1.NonResourceRule{{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}}, false, nil
}

var _ RuleResolver = union(nil)

// RulesFor joins the rules of the union's members, as upstream's union
// rule resolver: incomplete if any member is incomplete or cannot list
// its rules, with the errors joined.
func (u union) RulesFor(ctx context.Context, user *authn.User, namespace string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	var res []authorizationv1.ResourceRule
	var nonRes []authorizationv1.NonResourceRule
	var incomplete bool
	var errs []error
	for _, z := range u {
		r, ok := z.(RuleResolver)
		if !ok {
			incomplete = true
			continue
		}
		rr, nr, inc, err := r.RulesFor(ctx, user, namespace)
		res, nonRes = append(res, rr...), append(nonRes, nr...)
		incomplete = incomplete || inc
		if err != nil {
			errs = append(errs, err)
		}
	}
	return res, nonRes, incomplete, errors.Join(errs...)
}
