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
// For now the only implementation is AlwaysAllow: every request that got
// past authentication is allowed. RBAC (roles, bindings and the
// bootstrap policy that gives system:masters cluster-admin) comes later as
// another Authorizer combined with NewUnion; nothing else changes then.
package authz
