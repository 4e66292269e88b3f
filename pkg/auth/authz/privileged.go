package authz

import (
	"context"
	"slices"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/tinykube/tinykube/pkg/auth/authn"
)

// privilegedGroups allows every request of members of its groups.
type privilegedGroups []string

var (
	_ Authorizer   = privilegedGroups(nil)
	_ RuleResolver = privilegedGroups(nil)
)

// NewPrivilegedGroups returns an Authorizer that allows every request of a
// user in one of groups and has no opinion on the others. The server puts
// it first, for system:masters, as upstream's kube-apiserver does: the
// admin and the in-process components keep working whatever the RBAC
// objects say.
func NewPrivilegedGroups(groups ...string) Authorizer { return privilegedGroups(groups) }

func (p privilegedGroups) member(u *authn.User) bool {
	return u != nil && slices.ContainsFunc(p, u.InGroup)
}

func (p privilegedGroups) Authorize(_ context.Context, a Attributes) (Decision, string, error) {
	if p.member(a.User) {
		return Allow, "", nil
	}
	return NoOpinion, "", nil
}

// RulesFor: everything for members, nothing for the others.
func (p privilegedGroups) RulesFor(ctx context.Context, u *authn.User, ns string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	if p.member(u) {
		return alwaysAllow{}.RulesFor(ctx, u, ns)
	}
	return nil, nil, false, nil
}
