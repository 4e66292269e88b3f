// Package serviceaccount is the serviceaccount controller: every active
// namespace has a ServiceAccount named "default", recreated if deleted.
package serviceaccount
