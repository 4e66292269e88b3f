package authn

import (
	"context"
	"slices"
)

// Well-known user and group names (the same strings upstream uses).
const (
	GroupAuthenticated   = "system:authenticated"
	GroupUnauthenticated = "system:unauthenticated"
	GroupMasters         = "system:masters"
	UserAnonymous        = "system:anonymous"
)

// User is an authenticated (or anonymous) identity.
type User struct {
	Name   string
	UID    string
	Groups []string
	Extra  map[string][]string
	// Audiences are those the credential was accepted for: the
	// intersection of the credential's own audiences (a token's "aud";
	// the server's API audiences for credentials that name none) and the
	// audiences asked for (AudiencesFrom, by default the API audiences).
	// Empty when the server has no API audiences.
	Audiences []string
}

// IsAnonymous reports whether u is the anonymous user.
func (u *User) IsAnonymous() bool { return u.Name == UserAnonymous }

// InGroup reports whether u belongs to group.
func (u *User) InGroup(group string) bool { return slices.Contains(u.Groups, group) }

// clone returns a deep copy, so callers may add groups without touching
// shared state (the token file's table, for instance).
func (u *User) clone() *User {
	c := &User{Name: u.Name, UID: u.UID, Groups: slices.Clone(u.Groups), Audiences: slices.Clone(u.Audiences)}
	if u.Extra != nil {
		c.Extra = make(map[string][]string, len(u.Extra))
		for k, v := range u.Extra {
			c.Extra[k] = slices.Clone(v)
		}
	}
	return c
}

// anonymousUser is the identity given to credential-less requests on the
// paths that allow them.
func anonymousUser() *User {
	return &User{Name: UserAnonymous, Groups: []string{GroupUnauthenticated}}
}

type userKey struct{}

// WithUser returns a copy of ctx carrying u.
func WithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the user stored by WithUser, if any.
func UserFrom(ctx context.Context) (*User, bool) {
	u, ok := ctx.Value(userKey{}).(*User)
	return u, ok && u != nil
}
