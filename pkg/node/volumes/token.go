package volumes

import (
	"context"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// token is a service account token a projected volume holds.
type token struct {
	value             string
	issued, expires   time.Time
	audience          string
	expirationSeconds int64
}

// maxTokenAge: a token is renewed after a day even if it lives longer,
// as the kubelet's token manager does.
const maxTokenAge = 24 * time.Hour

// due reports whether t must be renewed at now: past 80% of its lifetime
// or older than a day.
func (t *token) due(now time.Time) bool {
	life := t.expires.Sub(t.issued)
	return !now.Before(t.issued.Add(life*8/10)) || now.Sub(t.issued) > maxTokenAge
}

// token returns the pod's token for projection src (key names it among
// the pod's projections), requesting a new one through the TokenRequest
// API (serviceaccounts/<name>/token, bound to the pod) when there is none
// yet, the source changed, or the current one is due.
func (m *Manager) token(ctx context.Context, pod *corev1.Pod, pv *podVolumes, key string, src *corev1.ServiceAccountTokenProjection) (string, error) {
	exp := int64(3600)
	if src.ExpirationSeconds != nil {
		exp = *src.ExpirationSeconds
	}
	now := m.cfg.Clock.Now()
	if t := pv.tokens[key]; t != nil && t.audience == src.Audience && t.expirationSeconds == exp && !t.due(now) {
		return t.value, nil
	}
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: ptr.To(exp),
		BoundObjectRef:    &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: pod.Name, UID: pod.UID},
	}}
	if src.Audience != "" {
		req.Spec.Audiences = []string{src.Audience}
	}
	resp, err := m.cfg.Client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("failed to fetch token: %w", err)
	}
	issued := now
	expires := resp.Status.ExpirationTimestamp.Time
	if expires.IsZero() || !expires.After(issued) {
		expires = issued.Add(time.Duration(exp) * time.Second)
	}
	pv.tokens[key] = &token{value: resp.Status.Token, issued: issued, expires: expires, audience: src.Audience, expirationSeconds: exp}
	return resp.Status.Token, nil
}
