// Package authz decides whether an authenticated user may do what a request
// asks: the second stage of the API server's handler chain, after
// pkg/auth/authn and before decoding and admission.
//
// The server turns each request into Attributes (verb, API group and
// version, resource, subresource, namespace, name — or the path of a
// non-resource request such as /healthz) and asks an Authorizer. Allow lets
// the request through; Deny and NoOpinion end it with 403 and upstream's
// Forbidden Status (Forbidden, WriteForbidden); an error from the
// authorizer ends it with 500.
//
// The server's authorizer (pkg/server/rbac.go, --authorization-mode) is a
// union, as kube-apiserver's: NewPrivilegedGroups(system:masters) first,
// then the configured modes in order — RBAC (pkg/auth/rbac, the default)
// and/or AlwaysAllow (every authenticated user may do anything). The
// union is also a RuleResolver, which selfsubjectrulesreviews (`kubectl
// auth can-i --list`) ask.
package authz
