package authn

import (
	"context"
	"net/http"
	"slices"
)

// Audiences. A credential may be meant for some audiences only (a
// service-account token's "aud"). The API server accepts credentials for
// its own API audiences (--api-audiences; by default the service-account
// issuer); a TokenReview may ask about other audiences (spec.audiences),
// which it passes down in the request's context.

type audiencesKey struct{}

// WithAudiences returns a copy of ctx asking authenticators to accept only
// credentials meant for one of auds.
func WithAudiences(ctx context.Context, auds []string) context.Context {
	return context.WithValue(ctx, audiencesKey{}, auds)
}

// AudiencesFrom returns the audiences asked for with WithAudiences.
func AudiencesFrom(ctx context.Context) ([]string, bool) {
	auds, ok := ctx.Value(audiencesKey{}).([]string)
	return auds, ok
}

// intersect returns the elements of a also in b, in a's order.
func intersect(a, b []string) []string {
	var out []string
	for _, s := range a {
		if slices.Contains(b, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// audienceAgnostic wraps a TokenAuthenticator whose tokens name no
// audience (the token file): they are meant for the API server, so they
// are accepted only when the audiences asked for include one of its API
// audiences, and then for those.
type audienceAgnostic struct {
	apiAudiences []string
	tokens       TokenAuthenticator
}

var _ TokenAuthenticator = audienceAgnostic{}

// NewAudienceAgnostic returns tokens restricted to apiAudiences as
// described on audienceAgnostic (upstream's WrapAudienceAgnosticToken).
// A request that asks for no audiences is answered by tokens as is.
func NewAudienceAgnostic(apiAudiences []string, tokens TokenAuthenticator) TokenAuthenticator {
	return audienceAgnostic{apiAudiences: apiAudiences, tokens: tokens}
}

func (a audienceAgnostic) AuthenticateToken(ctx context.Context, token string) (*User, bool, error) {
	asked, ok := AudiencesFrom(ctx)
	if !ok {
		return a.tokens.AuthenticateToken(ctx, token)
	}
	auds := intersect(a.apiAudiences, asked)
	if len(auds) == 0 {
		return nil, false, nil
	}
	u, ok, err := a.tokens.AuthenticateToken(ctx, token)
	if err != nil || !ok {
		return nil, false, err
	}
	u.Audiences = auds
	return u, true, nil
}

// requestWithAudiences is a bearer-token-only request asking for auds
// (none asked when auds is empty), as a TokenReview makes one.
func requestWithAudiences(token string, auds []string) *http.Request {
	r := &http.Request{Header: http.Header{"Authorization": {"Bearer " + token}}}
	if len(auds) > 0 {
		r = r.WithContext(WithAudiences(context.Background(), auds))
	}
	return r
}

// ReviewToken authenticates token with a as a TokenReview does: as the
// only credential of a request asking for auds (the API audiences when
// the review names none). The user's Audiences say which of them it was
// accepted for.
func ReviewToken(a Authenticator, token string, auds []string) (*User, bool, error) {
	u, ok, err := a.AuthenticateRequest(requestWithAudiences(token, auds))
	if err != nil || !ok {
		return nil, false, err
	}
	if len(auds) > 0 && len(intersect(auds, u.Audiences)) == 0 {
		// An authenticator accepted the token without saying for which
		// of the audiences asked: refuse rather than guess.
		return nil, false, ErrInvalidToken
	}
	return u, true, nil
}
