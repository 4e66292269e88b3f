package authn

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// ErrInvalidToken is returned when a bearer token was presented but no
// TokenAuthenticator recognised it.
var ErrInvalidToken = errors.New("invalid bearer token")

// TokenAuthenticator maps a bearer token to a user. (nil, false, nil)
// means the token is unknown; an error means the lookup itself failed.
type TokenAuthenticator interface {
	AuthenticateToken(ctx context.Context, token string) (*User, bool, error)
}

// BearerToken authenticates "Authorization: Bearer <token>" headers.
type BearerToken struct {
	tokens TokenAuthenticator
}

var _ Authenticator = (*BearerToken)(nil)

// NewBearerToken returns an Authenticator that checks bearer tokens with
// tokens (a *TokenFile, later also service-account tokens).
func NewBearerToken(tokens TokenAuthenticator) *BearerToken {
	return &BearerToken{tokens: tokens}
}

// AuthenticateRequest returns (nil, false, nil) when the request has no
// bearer token, and ErrInvalidToken when it has one nobody knows. It does
// not remove the header; WithAuthentication does that once the request is
// authenticated.
func (b *BearerToken) AuthenticateRequest(r *http.Request) (*User, bool, error) {
	token, ok := bearerToken(r)
	if !ok {
		return nil, false, nil
	}
	u, ok, err := b.tokens.AuthenticateToken(r.Context(), token)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return nil, false, ErrInvalidToken
	}
	return u, true, nil
}

// bearerToken extracts the token from an Authorization header. The scheme
// is case-insensitive (RFC 9110); an empty token counts as no token.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, found := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !found || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
