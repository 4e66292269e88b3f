// Package rbac is the RBAC authorizer (rbac.authorization.k8s.io/v1): it
// allows a request when a Role or ClusterRole bound to the user, one of
// their groups or their ServiceAccount has a rule that matches it, as
// upstream's plugin/pkg/auth/authorizer/rbac does. It never denies; a
// request no rule allows is NoOpinion, which the server's union (pkg/auth/authz)
// turns into 403 unless a later authorizer allows it.
//
// Reading order:
//
//   - match.go: does one PolicyRule match a request (verbs, API groups,
//     resources incl. "pods/log" and "*/scale", resourceNames,
//     nonResourceURLs with a trailing "*").
//   - resolver.go: which rules apply to a user in a namespace — every
//     ClusterRoleBinding's, then the namespace's RoleBindings' — read from
//     a Source (informer listers over the server's own watch caches,
//     source.go); each rule comes with the binding that grants it, which
//     is the "RBAC: allowed by ..." reason.
//   - authorizer.go: the authz.Authorizer and authz.RuleResolver
//     (selfsubjectrulesreviews, `kubectl auth can-i --list`).
//   - covers.go and escalation.go: the escalation and bind checks on RBAC
//     writes: a user may write a role, or bind one, only with rules they
//     hold themselves, unless allowed the "escalate" or "bind" verb.
//
// system:masters is not special here: it is bound to cluster-admin by the
// bootstrap policy (bootstrappolicy), and the server puts
// authz.NewPrivilegedGroups(system:masters) in front of this authorizer,
// as upstream does. The ClusterRoles with an aggregationRule get their
// rules from the clusterrole-aggregation controller
// (pkg/controller/clusterroleaggregation).
package rbac
