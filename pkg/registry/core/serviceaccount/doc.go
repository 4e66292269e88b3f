// Package serviceaccount holds what is special about ServiceAccounts in
// the registry: the serviceaccounts/token subresource (token.go,
// upstream's TokenRequest: a create that issues a signed JWT for the
// account, optionally bound to a pod, secret or node) and the
// ServiceAccount admission plugin for pods (admission.go: the default
// account, the account must exist, and the kube-api-access-* projected
// volume that carries a token into every container).
//
// The store itself is the generic one with the default strategy; the
// server registers Token as a CreateHandler (pkg/server/subresources.go)
// and Admission in the admission chain (pkg/registry/admission.go).
// Tokens are signed by pkg/auth/satoken and verified by
// pkg/auth/authn's ServiceAccountTokens.
package serviceaccount
