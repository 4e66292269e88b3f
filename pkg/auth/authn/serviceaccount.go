package authn

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/pkg/auth/satoken"
)

// Extra keys of a service account's user, as upstream names them.
const (
	// (CredentialIDKey, x509.go, is the other: JTI=<jti> for these tokens.)
	PodNameKey  = "authentication.kubernetes.io/pod-name"
	PodUIDKey   = "authentication.kubernetes.io/pod-uid"
	NodeNameKey = "authentication.kubernetes.io/node-name"
	NodeUIDKey  = "authentication.kubernetes.io/node-uid"
)

// ServiceAccountGetter reads the objects a service-account token names.
// Implementations read a cache (the watch cache), not etcd, on the hot
// path, and return a NotFound error for objects that do not exist.
type ServiceAccountGetter interface {
	ServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)
	Pod(ctx context.Context, namespace, name string) (*corev1.Pod, error)
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
	Node(ctx context.Context, name string) (*corev1.Node, error)
}

// ServiceAccountTokens authenticates the tokens the server issues for
// service accounts (TokenRequest, serviceaccounts/token): the signature
// and issuer (satoken.Verifier), the time window, the audiences, and that
// the service account — and the pod, secret or node the token is bound
// to — still exist with the UID in the token, as upstream's
// service-account token authenticator does. The user is
// system:serviceaccount:NS:NAME with the service account's UID, in
// system:serviceaccounts and system:serviceaccounts:NS, with the token's
// jti as credential-id and the pod (and its node) in Extra when bound.
//
// A signature check costs about as much as a TLS client-certificate
// check, so verified tokens are remembered (by SHA-256, in a bounded
// table that starts over when full), as X509 remembers chains; the time
// window, audiences and objects are checked on every request all the
// same.
type ServiceAccountTokens struct {
	verifier     *satoken.Verifier
	apiAudiences []string
	objects      ServiceAccountGetter
	now          func() time.Time

	mu       sync.Mutex
	verified map[[sha256.Size]byte]*satoken.Claims
}

// maxVerifiedTokens bounds the verification cache.
const maxVerifiedTokens = 4096

var _ TokenAuthenticator = (*ServiceAccountTokens)(nil)

// NewServiceAccountTokens returns the authenticator; apiAudiences are the
// audiences a request is taken to ask for when it names none (and those a
// token without "aud" is taken to be for).
func NewServiceAccountTokens(v *satoken.Verifier, apiAudiences []string, objects ServiceAccountGetter) *ServiceAccountTokens {
	return &ServiceAccountTokens{verifier: v, apiAudiences: apiAudiences, objects: objects, now: time.Now,
		verified: map[[sha256.Size]byte]*satoken.Claims{}}
}

// errInvalidated is upstream's answer when a bound object is gone.
var errInvalidated = errors.New("service account token has been invalidated")

// AuthenticateToken returns (nil, false, nil) for tokens that are not
// this server's JWTs, so that other authenticators may know them.
func (a *ServiceAccountTokens) AuthenticateToken(ctx context.Context, token string) (*User, bool, error) {
	c, err := a.verify(token)
	if errors.Is(err, satoken.ErrNotOurs) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	tokenAuds := []string(c.Audience)
	if len(tokenAuds) == 0 {
		tokenAuds = a.apiAudiences // legacy tokens are for the API server
	}
	asked, ok := AudiencesFrom(ctx)
	if !ok {
		asked = a.apiAudiences
	}
	auds := intersect(tokenAuds, asked)
	if len(auds) == 0 && len(a.apiAudiences) != 0 {
		return nil, false, fmt.Errorf("token audiences %q is invalid for the target audiences %q", tokenAuds, asked)
	}
	now := a.now()
	if err := c.ValidAt(now); err != nil {
		return nil, false, err
	}
	if c.Kubernetes == nil {
		return nil, false, errors.New("service account token has no kubernetes.io claim")
	}
	u, err := a.checkObjects(ctx, c.Kubernetes, now.Add(-satoken.Leeway))
	if err != nil {
		return nil, false, err
	}
	if c.ID != "" {
		u.Extra[CredentialIDKey] = []string{"JTI=" + c.ID}
	}
	u.Audiences = auds
	return u, true, nil
}

// verify returns the claims of a token whose signature checks out,
// from the cache when it was verified before. Claims are never modified.
func (a *ServiceAccountTokens) verify(token string) (*satoken.Claims, error) {
	key := sha256.Sum256([]byte(token))
	a.mu.Lock()
	c, ok := a.verified[key]
	a.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := a.verifier.Verify(token)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	if len(a.verified) >= maxVerifiedTokens {
		// Drop everything, and expired tokens with it.
		clear(a.verified)
	}
	a.verified[key] = c
	a.mu.Unlock()
	return c, nil
}

// checkObjects verifies that the objects the claims name still exist with
// the same UIDs (an object deleted before deletedBefore counts as gone)
// and returns the user the token stands for.
func (a *ServiceAccountTokens) checkObjects(ctx context.Context, k *satoken.Kubernetes, deletedBefore time.Time) (*User, error) {
	ns, saRef := k.Namespace, k.ServiceAccount
	sa, err := a.objects.ServiceAccount(ctx, ns, saRef.Name)
	if err != nil {
		return nil, err
	}
	if string(sa.UID) != saRef.UID {
		return nil, fmt.Errorf("service account UID (%s) does not match claim (%s)", sa.UID, saRef.UID)
	}
	if deleted(sa.DeletionTimestamp, deletedBefore) {
		return nil, fmt.Errorf("service account %s/%s has been deleted", ns, saRef.Name)
	}
	u := &User{Name: satoken.Username(ns, saRef.Name), UID: saRef.UID, Groups: satoken.Groups(ns), Extra: map[string][]string{}}
	if ref := k.Secret; ref != nil {
		s, err := a.objects.Secret(ctx, ns, ref.Name)
		if err != nil {
			return nil, errInvalidated
		}
		if string(s.UID) != ref.UID {
			return nil, fmt.Errorf("secret UID (%s) does not match service account secret ref claim (%s)", s.UID, ref.UID)
		}
		if deleted(s.DeletionTimestamp, deletedBefore) {
			return nil, errInvalidated
		}
	}
	if ref := k.Pod; ref != nil {
		p, err := a.objects.Pod(ctx, ns, ref.Name)
		if err != nil {
			return nil, errInvalidated
		}
		if string(p.UID) != ref.UID {
			return nil, fmt.Errorf("pod UID (%s) does not match service account pod ref claim (%s)", p.UID, ref.UID)
		}
		if deleted(p.DeletionTimestamp, deletedBefore) {
			return nil, errInvalidated
		}
		u.Extra[PodNameKey], u.Extra[PodUIDKey] = []string{ref.Name}, []string{ref.UID}
	}
	if ref := k.Node; ref != nil {
		if k.Pod == nil {
			// Bound to the node itself: it must still exist.
			n, err := a.objects.Node(ctx, ref.Name)
			if err != nil {
				return nil, errInvalidated
			}
			if string(n.UID) != ref.UID {
				return nil, fmt.Errorf("node UID (%s) does not match service account node ref claim (%s)", n.UID, ref.UID)
			}
			if deleted(n.DeletionTimestamp, deletedBefore) {
				return nil, errInvalidated
			}
		}
		u.Extra[NodeNameKey] = []string{ref.Name}
		if ref.UID != "" {
			u.Extra[NodeUIDKey] = []string{ref.UID}
		}
	}
	return u, nil
}

// deleted reports an object whose deletion started before t.
func deleted(ts *metav1.Time, t time.Time) bool { return ts != nil && ts.Time.Before(t) }
