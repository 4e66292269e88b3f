package rbac

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/auth/authz"
)

// fullAuthority is cluster-admin's rules: what a user must hold to set an
// aggregationRule, which can gather any rule.
var fullAuthority = []rbacv1.PolicyRule{
	{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
	{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
}

// Guard is the check upstream's RBAC REST storage makes on writes of
// roles and bindings, so that RBAC cannot be used to gain rights:
//
//   - a Role or ClusterRole may be written only by a user who holds every
//     rule in it (in the role's namespace, or cluster-wide), or who may
//     "escalate" that role; an aggregationRule needs cluster-admin's
//     rights;
//   - a RoleBinding or ClusterRoleBinding may be written only by a user
//     who holds every rule of the role it refers to, or who may "bind"
//     that role.
//
// Members of system:masters are never checked. Rules held are RBAC's
// (Resolver), as upstream's: rights another authorizer grants do not
// count, but the "escalate" and "bind" verbs are asked of the whole
// Authorizer.
type Guard struct {
	// Authorizer answers the escalate and bind questions (the server's
	// whole authorizer).
	Authorizer authz.Authorizer
	// Resolver lists the rules the writer holds.
	Resolver *Resolver
}

var rbacGroup = rbacv1.SchemeGroupVersion.Group

// CheckRole checks a write by u of the Role namespace/name (resource
// "roles") or the ClusterRole name (resource "clusterroles", namespace "")
// with rules; aggregation says whether it has an aggregationRule.
func (g *Guard) CheckRole(ctx context.Context, u *authn.User, resource, namespace, name string, rules []rbacv1.PolicyRule, aggregation bool) error {
	if u.InGroup(authn.GroupMasters) {
		return nil
	}
	if g.allowed(ctx, authz.Attributes{User: u, Verb: "escalate", ResourceRequest: true, APIGroup: rbacGroup, APIVersion: "*",
		Resource: resource, Namespace: namespace, Name: name}) {
		return nil
	}
	gr := schema.GroupResource{Group: rbacGroup, Resource: resource}
	if err := g.confirmNoEscalation(u, namespace, rules); err != nil {
		return apierrors.NewForbidden(gr, name, err)
	}
	if aggregation {
		if err := g.confirmNoEscalation(u, namespace, fullAuthority); err != nil {
			return apierrors.NewForbidden(gr, name, errors.New("must have cluster-admin privileges to use the aggregationRule"))
		}
	}
	return nil
}

// CheckBinding checks a write by u of the RoleBinding namespace/name
// (resource "rolebindings") or the ClusterRoleBinding name (resource
// "clusterrolebindings", namespace "") that refers to ref.
func (g *Guard) CheckBinding(ctx context.Context, u *authn.User, resource, namespace, name string, ref rbacv1.RoleRef) error {
	if u.InGroup(authn.GroupMasters) {
		return nil
	}
	bind := authz.Attributes{User: u, Verb: "bind", ResourceRequest: true, APIGroup: ref.APIGroup, APIVersion: "*",
		Namespace: namespace, Name: ref.Name}
	switch ref.Kind {
	case "ClusterRole":
		bind.Resource = "clusterroles"
	case "Role":
		bind.Resource = "roles"
	}
	if bind.Resource != "" && g.allowed(ctx, bind) {
		return nil
	}
	rules, err := g.Resolver.RoleRefRules(ref, namespace)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return err
		}
		return apierrors.NewInternalError(err)
	}
	if err := g.confirmNoEscalation(u, namespace, rules); err != nil {
		return apierrors.NewForbidden(schema.GroupResource{Group: rbacGroup, Resource: resource}, name, err)
	}
	return nil
}

func (g *Guard) allowed(ctx context.Context, a authz.Attributes) bool {
	if g.Authorizer == nil {
		return false
	}
	d, _, err := g.Authorizer.Authorize(ctx, a)
	return err == nil && d == authz.Allow
}

// confirmNoEscalation is nil when u holds every rule in rules in
// namespace, else an error listing the rules missing, in upstream's words.
func (g *Guard) confirmNoEscalation(u *authn.User, namespace string, rules []rbacv1.PolicyRule) error {
	owner, resolveErr := g.Resolver.RulesFor(u, namespace)
	ok, missing := Covers(owner, rules)
	if ok {
		return nil
	}
	var lines []string
	for _, r := range compact(missing) {
		if s := CompactString(r); !slices.Contains(lines, s) {
			lines = append(lines, s)
		}
	}
	slices.Sort(lines)
	msg := fmt.Sprintf("user %q (groups=%q) is attempting to grant RBAC permissions not currently held:\n%s", u.Name, u.Groups, strings.Join(lines, "\n"))
	if resolveErr != nil {
		msg += fmt.Sprintf("; resolution errors: %v", resolveErr)
	}
	return errors.New(msg)
}
