package bootstraptoken

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The Secret that holds a token, as upstream names its parts.
const (
	// Namespace holds every bootstrap token Secret.
	Namespace = metav1.NamespaceSystem
	// SecretPrefix + token id is the Secret's name.
	SecretPrefix = "bootstrap-token-"
	// SecretType is the Secret's type; Secrets of other types are not
	// tokens whatever their name.
	SecretType corev1.SecretType = "bootstrap.kubernetes.io/token"

	KeyTokenID     = "token-id"
	KeyTokenSecret = "token-secret"
	KeyDescription = "description"
	// KeyExpiration is an RFC 3339 time after which the token is refused.
	KeyExpiration = "expiration"
	// KeyUsagePrefix + usage = "true" allows a usage.
	KeyUsagePrefix = "usage-bootstrap-"
	// KeyExtraGroups is a comma-separated list of groups the token's user
	// is in besides GroupBootstrappers.
	KeyExtraGroups = "auth-extra-groups"

	// UsageAuthentication lets the token authenticate to the API server;
	// UsageSigning lets the bootstrap signer sign cluster-info with it.
	UsageAuthentication = "authentication"
	UsageSigning        = "signing"

	// UserPrefix + token id is the token's user name.
	UserPrefix = "system:bootstrap:"
	// GroupBootstrappers is the group of every token's user; extra groups
	// must be under GroupBootstrappers + ":".
	GroupBootstrappers = "system:bootstrappers"
	// GroupNodeBootstrappers is the extra group kubeadm gives the tokens
	// it makes for joining nodes.
	GroupNodeBootstrappers = "system:bootstrappers:kubeadm:default-node-token"
)

var (
	tokenRE      = regexp.MustCompile(`^([a-z0-9]{6})\.([a-z0-9]{16})$`)
	extraGroupRE = regexp.MustCompile(`^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$`)
)

// ErrMalformed is returned by Parse for a string that is not a token.
var ErrMalformed = errors.New(`bootstrap token must be of the form "[a-z0-9]{6}.[a-z0-9]{16}"`)

// Parse splits a token into its public id and its secret.
func Parse(token string) (id, secret string, err error) {
	m := tokenRE.FindStringSubmatch(token)
	if m == nil {
		return "", "", ErrMalformed
	}
	return m[1], m[2], nil
}

// SecretName is the name of the Secret of token id.
func SecretName(id string) string { return SecretPrefix + id }

// alphabet is the tokens' character set (upstream's).
const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// Generate returns a new random token.
func Generate() (string, error) {
	b := make([]byte, 22)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	out := make([]byte, 0, 23)
	for i, c := range b {
		if i == 6 {
			out = append(out, '.')
		}
		// 252 = 7*36: bytes above it would bias the choice; re-draw.
		for c >= 252 {
			var one [1]byte
			if _, err := rand.Read(one[:]); err != nil {
				return "", err
			}
			c = one[0]
		}
		out = append(out, alphabet[int(c)%len(alphabet)])
	}
	return string(out), nil
}

// Options describe a new token's Secret.
type Options struct {
	// TTL after now at which it expires (0: never).
	TTL         time.Duration
	Description string
	// Usages default to authentication and signing; ExtraGroups to
	// GroupNodeBootstrappers, as kubeadm's defaults.
	Usages      []string
	ExtraGroups []string
}

// NewSecret returns the Secret that stores token, as of now.
func NewSecret(token string, opts Options, now time.Time) (*corev1.Secret, error) {
	id, secret, err := Parse(token)
	if err != nil {
		return nil, err
	}
	if opts.Usages == nil {
		opts.Usages = []string{UsageAuthentication, UsageSigning}
	}
	if opts.ExtraGroups == nil {
		opts.ExtraGroups = []string{GroupNodeBootstrappers}
	}
	for _, g := range opts.ExtraGroups {
		if !extraGroupRE.MatchString(g) {
			return nil, fmt.Errorf("group %q: extra groups must match %s", g, extraGroupRE)
		}
	}
	data := map[string][]byte{KeyTokenID: []byte(id), KeyTokenSecret: []byte(secret)}
	if opts.Description != "" {
		data[KeyDescription] = []byte(opts.Description)
	}
	if opts.TTL > 0 {
		data[KeyExpiration] = []byte(now.Add(opts.TTL).UTC().Format(time.RFC3339))
	}
	for _, u := range opts.Usages {
		data[KeyUsagePrefix+u] = []byte("true")
	}
	if len(opts.ExtraGroups) > 0 {
		data[KeyExtraGroups] = []byte(strings.Join(opts.ExtraGroups, ","))
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: SecretName(id), Namespace: Namespace},
		Type:       SecretType,
		Data:       data,
	}, nil
}

// Token is what a bootstrap token Secret says about its token.
type Token struct {
	ID          string
	Description string
	// Expires is zero for a token that never expires.
	Expires     time.Time
	Usages      []string
	ExtraGroups []string
}

// FromSecret reads s as a token Secret. It fails for a Secret that is
// not one: wrong type or name, missing or malformed fields, extra groups
// outside system:bootstrappers:.
func FromSecret(s *corev1.Secret) (*Token, error) {
	if s.Type != SecretType {
		return nil, fmt.Errorf("secret %s/%s has type %q, not %q", s.Namespace, s.Name, s.Type, SecretType)
	}
	id := string(s.Data[KeyTokenID])
	if s.Name != SecretName(id) {
		return nil, fmt.Errorf("secret %s/%s: name does not match %s %q", s.Namespace, s.Name, KeyTokenID, id)
	}
	if _, _, err := Parse(id + "." + string(s.Data[KeyTokenSecret])); err != nil {
		return nil, fmt.Errorf("secret %s/%s: %w", s.Namespace, s.Name, err)
	}
	t := &Token{ID: id, Description: string(s.Data[KeyDescription])}
	if exp, ok := s.Data[KeyExpiration]; ok {
		var err error
		if t.Expires, err = time.Parse(time.RFC3339, string(exp)); err != nil {
			return nil, fmt.Errorf("secret %s/%s: %s: %w", s.Namespace, s.Name, KeyExpiration, err)
		}
	}
	for k, v := range s.Data {
		if u, ok := strings.CutPrefix(k, KeyUsagePrefix); ok && string(v) == "true" {
			t.Usages = append(t.Usages, u)
		}
	}
	if g := strings.TrimSpace(string(s.Data[KeyExtraGroups])); g != "" {
		for _, group := range strings.Split(g, ",") {
			group = strings.TrimSpace(group)
			if !extraGroupRE.MatchString(group) {
				return nil, fmt.Errorf("secret %s/%s: %s: %q is not under %s:", s.Namespace, s.Name, KeyExtraGroups, group, GroupBootstrappers)
			}
			t.ExtraGroups = append(t.ExtraGroups, group)
		}
	}
	return t, nil
}

// Expired reports whether the token has expired at now.
func (t *Token) Expired(now time.Time) bool {
	return !t.Expires.IsZero() && !now.Before(t.Expires)
}

// Allows reports whether the token may be used for usage.
func (t *Token) Allows(usage string) bool {
	for _, u := range t.Usages {
		if u == usage {
			return true
		}
	}
	return false
}

// SecretMatches reports, in constant time, whether s stores secret.
func SecretMatches(s *corev1.Secret, secret string) bool {
	return subtle.ConstantTimeCompare(s.Data[KeyTokenSecret], []byte(secret)) == 1
}
