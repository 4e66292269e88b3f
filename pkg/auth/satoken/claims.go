package satoken

import (
	"encoding/json"
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
)

// Claims are a service-account token's claims. Fields are in the order
// kube-apiserver's tokens serialize them (alphabetical).
type Claims struct {
	Audience   Audience    `json:"aud,omitempty"`
	Expiry     int64       `json:"exp,omitempty"`
	IssuedAt   int64       `json:"iat,omitempty"`
	Issuer     string      `json:"iss,omitempty"`
	ID         string      `json:"jti,omitempty"`
	Kubernetes *Kubernetes `json:"kubernetes.io,omitempty"`
	NotBefore  int64       `json:"nbf,omitempty"`
	Subject    string      `json:"sub,omitempty"`
}

// Kubernetes is the private "kubernetes.io" claim: whose token it is and
// what it is bound to. A token is bound to at most one of Pod, Secret and
// Node; a pod-bound token also names the pod's node, for information.
type Kubernetes struct {
	Namespace      string `json:"namespace,omitempty"`
	Node           *Ref   `json:"node,omitempty"`
	Pod            *Ref   `json:"pod,omitempty"`
	Secret         *Ref   `json:"secret,omitempty"`
	ServiceAccount Ref    `json:"serviceaccount"`
	// WarnAfter (seconds since the epoch) is set on the tokens of
	// projected volumes whose expiry the server extended: past it the
	// token is still accepted, and counted as stale.
	WarnAfter int64 `json:"warnafter,omitempty"`
}

// Ref names one object by name and UID.
type Ref struct {
	Name string `json:"name,omitempty"`
	UID  string `json:"uid,omitempty"`
}

// Audience is the "aud" claim: serialized as an array, read from an array
// or a single string (RFC 7519 allows both).
type Audience []string

// UnmarshalJSON accepts a string or an array of strings.
func (a *Audience) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = Audience{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*a = l
	return nil
}

// Username is the user name a service account authenticates as.
func Username(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// Groups are the groups every service account of namespace is in.
func Groups(namespace string) []string {
	return []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace}
}

// NewClaims returns the claims of a token for sa, issued at now, valid for
// expiration, for audiences, with a fresh jti; the caller binds it
// (Kubernetes.Pod, Secret, Node) and the Signer sets the issuer.
func NewClaims(sa *corev1.ServiceAccount, now time.Time, expiration time.Duration, audiences []string) *Claims {
	return &Claims{
		Audience:  Audience(audiences),
		Expiry:    now.Add(expiration).Unix(),
		IssuedAt:  now.Unix(),
		NotBefore: now.Unix(),
		ID:        string(uuid.NewUUID()),
		Subject:   Username(sa.Namespace, sa.Name),
		Kubernetes: &Kubernetes{
			Namespace:      sa.Namespace,
			ServiceAccount: Ref{Name: sa.Name, UID: string(sa.UID)},
		},
	}
}

// Leeway is the clock skew tolerated on exp, nbf and iat (go-jose's
// default, which kube-apiserver uses).
const Leeway = time.Minute

// Errors of ValidAt, with kube-apiserver's messages.
var (
	ErrExpired           = errors.New("service account token has expired")
	ErrNotValidYet       = errors.New("service account token is not valid yet")
	ErrIssuedInTheFuture = errors.New("service account token is issued in the future")
)

// ValidAt checks exp, nbf and iat against now, with Leeway.
func (c *Claims) ValidAt(now time.Time) error {
	switch {
	case c.NotBefore != 0 && now.Add(Leeway).Before(time.Unix(c.NotBefore, 0)):
		return ErrNotValidYet
	case c.Expiry != 0 && now.Add(-Leeway).After(time.Unix(c.Expiry, 0)):
		return ErrExpired
	case c.IssuedAt != 0 && now.Add(Leeway).Before(time.Unix(c.IssuedAt, 0)):
		return ErrIssuedInTheFuture
	}
	return nil
}
