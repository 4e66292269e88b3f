package authz

import (
	"context"
	"errors"
	"fmt"

	"github.com/tinykube/tinykube/pkg/auth/authn"
)

// Decision is an authorizer's verdict. The zero value is Deny, so a
// forgotten assignment fails closed.
type Decision int

const (
	// Deny rejects the request; later authorizers are not asked.
	Deny Decision = iota
	// Allow admits the request; later authorizers are not asked.
	Allow
	// NoOpinion leaves the decision to the next authorizer; if none
	// decides, the request is rejected.
	NoOpinion
)

func (d Decision) String() string {
	switch d {
	case Deny:
		return "Deny"
	case Allow:
		return "Allow"
	case NoOpinion:
		return "NoOpinion"
	}
	return fmt.Sprintf("Decision(%d)", int(d))
}

// Attributes describe one request to authorize.
type Attributes struct {
	// User is who is asking (from authn.UserFrom).
	User *authn.User
	// Verb is the API verb for resource requests (get, list, watch,
	// create, update, patch, delete, deletecollection) or the lower-case
	// HTTP method for non-resource requests.
	Verb string

	// ResourceRequest is true for requests under /api and /apis that name
	// a resource; then the fields below describe it. Otherwise Path is the
	// request path.
	ResourceRequest bool
	APIGroup        string // "" is the core group
	APIVersion      string
	Resource        string // plural, lower case: "pods"
	Subresource     string // "status", "log", "scale", ...
	Namespace       string // "" for cluster-scoped resources
	Name            string // "" for list, watch, create, deletecollection
	Path            string
}

// Authorizer decides whether a request may proceed.
//
// Contract: return Allow, Deny or NoOpinion with a short human-readable
// reason (may be empty; it is appended to the 403 message). A non-nil error
// means the authorizer could not decide (say, its role cache is not synced
// yet); callers treat that as "not allowed" and answer 500 unless another
// authorizer allows. Implementations are safe for concurrent use.
type Authorizer interface {
	Authorize(ctx context.Context, a Attributes) (decision Decision, reason string, err error)
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(ctx context.Context, a Attributes) (Decision, string, error)

// Authorize calls f(ctx, a).
func (f AuthorizerFunc) Authorize(ctx context.Context, a Attributes) (Decision, string, error) {
	return f(ctx, a)
}

var _ Authorizer = AuthorizerFunc(nil)

// alwaysAllow allows everything.
type alwaysAllow struct{}

var _ Authorizer = alwaysAllow{}

// AlwaysAllow returns an Authorizer that allows every request: with
// --authorization-mode=AlwaysAllow anyone who authenticates may do
// anything, as before RBAC.
func AlwaysAllow() Authorizer { return alwaysAllow{} }

func (alwaysAllow) Authorize(context.Context, Attributes) (Decision, string, error) {
	return Allow, "", nil
}

// union asks authorizers in order.
type union []Authorizer

var _ Authorizer = union(nil)

// NewUnion returns an Authorizer that asks each of as in order: the first
// Allow or Deny is the answer. If all have no opinion, the result is
// NoOpinion, with the errors (if any) joined.
func NewUnion(as ...Authorizer) Authorizer { return union(as) }

func (u union) Authorize(ctx context.Context, a Attributes) (Decision, string, error) {
	var errs []error
	var reasons []string
	for _, z := range u {
		d, reason, err := z.Authorize(ctx, a)
		if err != nil {
			errs = append(errs, err)
		}
		if reason != "" {
			reasons = append(reasons, reason)
		}
		if d == Allow || d == Deny {
			return d, reason, errors.Join(errs...)
		}
	}
	return NoOpinion, joinReasons(reasons), errors.Join(errs...)
}

func joinReasons(rs []string) string {
	switch len(rs) {
	case 0:
		return ""
	case 1:
		return rs[0]
	}
	s := rs[0]
	for _, r := range rs[1:] {
		s += ", " + r
	}
	return s
}
