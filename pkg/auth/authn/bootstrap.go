package authn

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/tinykube/tinykube/pkg/auth/bootstraptoken"
)

// SecretGetter reads Secrets, from a cache on the hot path, returning a
// NotFound error for a Secret that does not exist.
type SecretGetter interface {
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
}

// BootstrapTokens authenticates bootstrap tokens (`abcdef.0123456789abcdef`,
// pkg/auth/bootstraptoken) against their Secrets
// kube-system/bootstrap-token-<id>, as upstream's bootstrap token
// authenticator: the Secret must be of type bootstrap.kubernetes.io/token,
// not being deleted, hold the same secret, not be expired, allow
// usage-bootstrap-authentication and name only extra groups under
// system:bootstrappers:. The user is system:bootstrap:<id> in
// system:bootstrappers and the extra groups.
//
// A token that fails any check is unknown ((nil, false, nil)), as
// upstream answers, so the request gets a 401; why is logged at debug
// level only, since the caller must not learn which part was wrong.
type BootstrapTokens struct {
	secrets SecretGetter
	now     func() time.Time
	logger  *slog.Logger
}

var _ TokenAuthenticator = (*BootstrapTokens)(nil)

// NewBootstrapTokens returns the authenticator reading secrets; now is
// the clock (nil: time.Now).
func NewBootstrapTokens(secrets SecretGetter, now func() time.Time, logger *slog.Logger) *BootstrapTokens {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &BootstrapTokens{secrets: secrets, now: now, logger: logger}
}

// AuthenticateToken implements TokenAuthenticator.
func (b *BootstrapTokens) AuthenticateToken(ctx context.Context, token string) (*User, bool, error) {
	id, secret, err := bootstraptoken.Parse(token)
	if err != nil {
		return nil, false, nil // not a bootstrap token
	}
	s, err := b.secrets.Secret(ctx, bootstraptoken.Namespace, bootstraptoken.SecretName(id))
	if apierrors.IsNotFound(err) {
		b.reject(ctx, id, "no such secret")
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("bootstrap token %s: %w", id, err)
	}
	if s.DeletionTimestamp != nil {
		b.reject(ctx, id, "secret is being deleted")
		return nil, false, nil
	}
	t, err := bootstraptoken.FromSecret(s)
	if err != nil {
		b.reject(ctx, id, err.Error())
		return nil, false, nil
	}
	if !bootstraptoken.SecretMatches(s, secret) {
		b.reject(ctx, id, "wrong token secret")
		return nil, false, nil
	}
	if t.Expired(b.now()) {
		b.reject(ctx, id, "expired")
		return nil, false, nil
	}
	if !t.Allows(bootstraptoken.UsageAuthentication) {
		b.reject(ctx, id, "usage-bootstrap-authentication is not set")
		return nil, false, nil
	}
	groups := append([]string{bootstraptoken.GroupBootstrappers}, t.ExtraGroups...)
	return &User{Name: bootstraptoken.UserPrefix + id, Groups: groups}, true, nil
}

func (b *BootstrapTokens) reject(ctx context.Context, id, why string) {
	b.logger.DebugContext(ctx, "bootstrap token refused", "id", id, "reason", why)
}

// NewBootstrapTokenAuthenticator returns the request authenticator of
// bootstrap tokens: bearer tokens of the bootstrap form
// (`[a-z0-9]{6}.[a-z0-9]{16}`) checked by tokens, audience-agnostic as the
// token file's (they are for the API: apiAudiences). Other bearer tokens
// are not its kind ((nil, false, nil)), so that the union's error for a
// refused service-account token is that authenticator's alone.
func NewBootstrapTokenAuthenticator(apiAudiences []string, tokens *BootstrapTokens) Authenticator {
	bearer := NewBearerToken(NewAudienceAgnostic(apiAudiences, tokens))
	return AuthenticatorFunc(func(r *http.Request) (*User, bool, error) {
		token, ok := bearerToken(r)
		if !ok {
			return nil, false, nil
		}
		if _, _, err := bootstraptoken.Parse(token); err != nil {
			return nil, false, nil
		}
		return bearer.AuthenticateRequest(r)
	})
}
