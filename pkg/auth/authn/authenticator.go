package authn

import (
	"errors"
	"net/http"
)

// Authenticator identifies the sender of a request from one kind of
// credential.
//
// Contract:
//   - (user, true, nil): the credentials are valid; user is a fresh value
//     the caller may modify.
//   - (nil, false, nil): the request carries no credentials of this kind;
//     another authenticator may still recognise it.
//   - (nil, false, err): credentials of this kind were presented but are
//     invalid (unknown token, untrusted or expired certificate); the
//     request must be rejected with 401, not treated as anonymous.
//
// Implementations are safe for concurrent use and must not modify the
// request.
type Authenticator interface {
	AuthenticateRequest(r *http.Request) (*User, bool, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request) (*User, bool, error)

// AuthenticateRequest calls f(r).
func (f AuthenticatorFunc) AuthenticateRequest(r *http.Request) (*User, bool, error) { return f(r) }

var _ Authenticator = AuthenticatorFunc(nil)

// union tries each authenticator in order.
type union []Authenticator

var _ Authenticator = union(nil)

// NewUnion returns an Authenticator that asks each of as in order and
// returns the first user found. If none finds a user, it returns the
// errors of those that rejected the request joined together, or
// (nil, false, nil) if none saw credentials at all. An invalid credential
// of one kind does not hide a valid one of another kind.
func NewUnion(as ...Authenticator) Authenticator {
	return union(as)
}

func (u union) AuthenticateRequest(r *http.Request) (*User, bool, error) {
	var errs []error
	for _, a := range u {
		user, ok, err := a.AuthenticateRequest(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			return user, true, nil
		}
	}
	return nil, false, errors.Join(errs...)
}
