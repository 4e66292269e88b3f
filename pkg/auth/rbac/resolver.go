package rbac

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/tinykube/tinykube/pkg/auth/authn"
)

// Source is where the resolver reads roles and bindings: the server's
// informer caches (source.go), or fixed lists in tests. A missing role
// is an error (upstream's NotFound), reported, not fatal. Implementations
// are safe for concurrent use; the objects they return are shared and
// read-only.
type Source interface {
	Role(namespace, name string) (*rbacv1.Role, error)
	ClusterRole(name string) (*rbacv1.ClusterRole, error)
	RoleBindings(namespace string) ([]*rbacv1.RoleBinding, error)
	ClusterRoleBindings() ([]*rbacv1.ClusterRoleBinding, error)
}

// Resolver finds the rules that apply to a user.
type Resolver struct {
	src Source
}

// NewResolver returns a resolver over src.
func NewResolver(src Source) *Resolver { return &Resolver{src: src} }

// Visitor is called once per rule that applies (source says which
// binding grants it, as upstream's "ClusterRoleBinding "x" of ClusterRole
// "y" to User "z""), or with err for a binding whose role cannot be read
// (rule and source nil). Returning false stops the walk.
type Visitor func(source fmt.Stringer, rule *rbacv1.PolicyRule, err error) bool

// VisitRulesFor walks the rules that apply to u in namespace, in
// upstream's order: every ClusterRoleBinding's (cluster-wide), then, if
// namespace is not empty, the RoleBindings of that namespace.
func (r *Resolver) VisitRulesFor(u *authn.User, namespace string, visit Visitor) {
	crbs, err := r.src.ClusterRoleBindings()
	if err != nil {
		if !visit(nil, nil, err) {
			return
		}
	}
	for _, b := range crbs {
		i, ok := appliesTo(u, b.Subjects, "")
		if !ok {
			continue
		}
		rules, err := r.RoleRefRules(b.RoleRef, "")
		if err != nil {
			if !visit(nil, nil, err) {
				return
			}
			continue
		}
		src := clusterBindingSource{b, &b.Subjects[i]}
		for j := range rules {
			if !visit(src, &rules[j], nil) {
				return
			}
		}
	}
	if namespace == "" {
		return
	}
	rbs, err := r.src.RoleBindings(namespace)
	if err != nil {
		if !visit(nil, nil, err) {
			return
		}
	}
	for _, b := range rbs {
		i, ok := appliesTo(u, b.Subjects, namespace)
		if !ok {
			continue
		}
		rules, err := r.RoleRefRules(b.RoleRef, namespace)
		if err != nil {
			if !visit(nil, nil, err) {
				return
			}
			continue
		}
		src := bindingSource{b, &b.Subjects[i]}
		for j := range rules {
			if !visit(src, &rules[j], nil) {
				return
			}
		}
	}
}

// RulesFor returns every rule that applies to u in namespace, and the
// errors met on the way (the rules found are still returned).
func (r *Resolver) RulesFor(u *authn.User, namespace string) ([]rbacv1.PolicyRule, error) {
	var rules []rbacv1.PolicyRule
	var errs []error
	r.VisitRulesFor(u, namespace, func(_ fmt.Stringer, rule *rbacv1.PolicyRule, err error) bool {
		if rule != nil {
			rules = append(rules, *rule)
		}
		if err != nil {
			errs = append(errs, err)
		}
		return true
	})
	return rules, errors.Join(errs...)
}

// RoleRefRules returns the rules of the role a binding in namespace ("" for
// a ClusterRoleBinding) refers to.
func (r *Resolver) RoleRefRules(ref rbacv1.RoleRef, namespace string) ([]rbacv1.PolicyRule, error) {
	switch ref.Kind {
	case "Role":
		role, err := r.src.Role(namespace, ref.Name)
		if err != nil {
			return nil, err
		}
		return role.Rules, nil
	case "ClusterRole":
		role, err := r.src.ClusterRole(ref.Name)
		if err != nil {
			return nil, err
		}
		return role.Rules, nil
	}
	return nil, fmt.Errorf("unsupported role reference kind: %q", ref.Kind)
}

// appliesTo returns the index of the first subject that is u.
func appliesTo(u *authn.User, subjects []rbacv1.Subject, namespace string) (int, bool) {
	for i := range subjects {
		if subjectIs(u, &subjects[i], namespace) {
			return i, true
		}
	}
	return 0, false
}

// subjectIs: a User by name, a Group by membership, a ServiceAccount by
// its user name system:serviceaccount:<ns>:<name> (ns defaulting to the
// binding's namespace).
func subjectIs(u *authn.User, s *rbacv1.Subject, namespace string) bool {
	switch s.Kind {
	case rbacv1.UserKind:
		return u.Name == s.Name
	case rbacv1.GroupKind:
		return slices.Contains(u.Groups, s.Name)
	case rbacv1.ServiceAccountKind:
		ns := namespace
		if s.Namespace != "" {
			ns = s.Namespace
		}
		// u.Name == satoken.Username(ns, s.Name), without building
		// the string (this runs for every binding on every request).
		rest, ok := strings.CutPrefix(u.Name, saPrefix)
		return ok && ns != "" && s.Name != "" && len(rest) == len(ns)+1+len(s.Name) &&
			rest[:len(ns)] == ns && rest[len(ns)] == ':' && rest[len(ns)+1:] == s.Name
	}
	return false
}

// saPrefix begins the user name of a service account (satoken.Username).
const saPrefix = "system:serviceaccount:"

// clusterBindingSource and bindingSource describe where a rule came from,
// in upstream's words (the "RBAC: allowed by ..." reason).
type clusterBindingSource struct {
	b *rbacv1.ClusterRoleBinding
	s *rbacv1.Subject
}

func (d clusterBindingSource) String() string {
	return fmt.Sprintf("ClusterRoleBinding %q of %s %q to %s", d.b.Name, d.b.RoleRef.Kind, d.b.RoleRef.Name, describeSubject(d.s, ""))
}

type bindingSource struct {
	b *rbacv1.RoleBinding
	s *rbacv1.Subject
}

func (d bindingSource) String() string {
	return fmt.Sprintf("RoleBinding %q of %s %q to %s", d.b.Name+"/"+d.b.Namespace, d.b.RoleRef.Kind, d.b.RoleRef.Name, describeSubject(d.s, d.b.Namespace))
}

func describeSubject(s *rbacv1.Subject, bindingNamespace string) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		ns := s.Namespace
		if ns == "" {
			ns = bindingNamespace
		}
		return fmt.Sprintf("%s %q", s.Kind, s.Name+"/"+ns)
	}
	return fmt.Sprintf("%s %q", s.Kind, s.Name)
}
