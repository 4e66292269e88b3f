package authn_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/auth/bootstraptoken"
)

// secretMap is a SecretGetter over a fixed set of Secrets.
type secretMap map[string]*corev1.Secret

func (m secretMap) Secret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	if s, ok := m[ns+"/"+name]; ok {
		return s, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
}

func TestBootstrapTokens(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	const token = "abcdef.0123456789abcdef"
	secret := func(mutate func(*corev1.Secret)) *corev1.Secret {
		s, err := bootstraptoken.NewSecret(token, bootstraptoken.Options{TTL: time.Hour}, now)
		if err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			mutate(s)
		}
		return s
	}
	cases := []struct {
		name   string
		token  string
		secret *corev1.Secret
		want   *authn.User // nil: refused
	}{
		{name: "valid", token: token, secret: secret(nil),
			want: &authn.User{Name: "system:bootstrap:abcdef", Groups: []string{"system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token"}}},
		{name: "extra groups", token: token, secret: secret(func(s *corev1.Secret) {
			s.Data["auth-extra-groups"] = []byte("system:bootstrappers:a, system:bootstrappers:b")
		}), want: &authn.User{Name: "system:bootstrap:abcdef", Groups: []string{"system:bootstrappers", "system:bootstrappers:a", "system:bootstrappers:b"}}},
		{name: "no expiration", token: token, secret: secret(func(s *corev1.Secret) { delete(s.Data, "expiration") }),
			want: &authn.User{Name: "system:bootstrap:abcdef", Groups: []string{"system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token"}}},
		{name: "expired", token: token, secret: secret(func(s *corev1.Secret) {
			s.Data["expiration"] = []byte(now.Add(-time.Second).Format(time.RFC3339))
		})},
		{name: "malformed expiration", token: token, secret: secret(func(s *corev1.Secret) { s.Data["expiration"] = []byte("tomorrow") })},
		{name: "wrong secret", token: "abcdef.0123456789abcdee", secret: secret(nil)},
		{name: "wrong type", token: token, secret: secret(func(s *corev1.Secret) { s.Type = corev1.SecretTypeOpaque })},
		{name: "usage not allowed", token: token, secret: secret(func(s *corev1.Secret) { delete(s.Data, "usage-bootstrap-authentication") })},
		{name: "usage false", token: token, secret: secret(func(s *corev1.Secret) { s.Data["usage-bootstrap-authentication"] = []byte("false") })},
		{name: "extra group outside system:bootstrappers", token: token, secret: secret(func(s *corev1.Secret) {
			s.Data["auth-extra-groups"] = []byte("system:masters")
		})},
		{name: "token-id does not match the name", token: token, secret: secret(func(s *corev1.Secret) { s.Data["token-id"] = []byte("zzzzzz") })},
		{name: "being deleted", token: token, secret: secret(func(s *corev1.Secret) { s.DeletionTimestamp = &metav1.Time{Time: now} })},
		{name: "no secret", token: "zyxwvu.0123456789abcdef", secret: secret(nil)},
		{name: "malformed token", token: "abcdef0123456789abcdef", secret: secret(nil)},
		{name: "upper case", token: "ABCDEF.0123456789ABCDEF", secret: secret(nil)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			secrets := secretMap{tc.secret.Namespace + "/" + tc.secret.Name: tc.secret}
			a := authn.NewBootstrapTokens(secrets, func() time.Time { return now }, nil)
			u, ok, err := a.AuthenticateToken(context.Background(), tc.token)
			if err != nil {
				t.Fatalf("error %v; a bad token is unknown, not an error", err)
			}
			if tc.want == nil {
				if ok {
					t.Fatalf("accepted as %+v", u)
				}
				return
			}
			if !ok || u.Name != tc.want.Name || !slices.Equal(u.Groups, tc.want.Groups) {
				t.Fatalf("got %+v, %v; want %+v", u, ok, tc.want)
			}
		})
	}
}

// A bootstrap token goes through the bearer-token authenticator: unknown
// tokens are a 401, not anonymous; other tokens are left to others.
func TestBootstrapTokensBearer(t *testing.T) {
	s, err := bootstraptoken.NewSecret("abcdef.0123456789abcdef", bootstraptoken.Options{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a := authn.NewBootstrapTokenAuthenticator(nil, authn.NewBootstrapTokens(secretMap{"kube-system/" + s.Name: s}, nil, nil))
	for token, want := range map[string]bool{"abcdef.0123456789abcdef": true, "abcdef.0123456789abcdeg": false} {
		_, ok, err := authn.ReviewToken(a, token, nil)
		if ok != want || (!want && err == nil) {
			t.Errorf("token %s: ok=%v err=%v, want ok=%v", token, ok, err, want)
		}
	}
	// Not a bootstrap token: not its kind, no error.
	if _, ok, err := authn.ReviewToken(a, "eyJhbGciOiJSUzI1NiJ9.e30.sig", nil); ok || err != nil {
		t.Errorf("a JWT: ok=%v err=%v, want neither", ok, err)
	}
}

func TestGenerateToken(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok, err := bootstraptoken.Generate()
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := bootstraptoken.Parse(tok); err != nil {
			t.Fatalf("%q: %v", tok, err)
		}
		if seen[tok] {
			t.Fatalf("%q generated twice", tok)
		}
		seen[tok] = true
	}
}

// Only an anonymous GET of kube-public/cluster-info gets through without
// credentials (upstream's bootstrap RBAC lets system:anonymous get it).
func TestClusterInfoAnonymous(t *testing.T) {
	h := authn.WithAuthentication(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := authn.UserFrom(r.Context())
		_, _ = io.WriteString(w, u.Name)
	}), authn.NewUnion())
	cases := []struct {
		method, target string
		want           int
	}{
		{http.MethodGet, authn.ClusterInfoPath, http.StatusOK},
		{http.MethodGet, authn.ClusterInfoPath + "?watch=true", http.StatusUnauthorized},
		{http.MethodPut, authn.ClusterInfoPath, http.StatusUnauthorized},
		{http.MethodDelete, authn.ClusterInfoPath, http.StatusUnauthorized},
		{http.MethodGet, "/api/v1/namespaces/kube-public/configmaps", http.StatusUnauthorized},
		{http.MethodGet, "/api/v1/namespaces/kube-public/configmaps/other", http.StatusUnauthorized},
		{http.MethodGet, "/api/v1/namespaces/kube-system/configmaps/cluster-info", http.StatusUnauthorized},
	}
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
		if rec.Code != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.target, rec.Code, tc.want)
		}
		if rec.Code == http.StatusOK && rec.Body.String() != authn.UserAnonymous {
			t.Errorf("%s %s: served as %q", tc.method, tc.target, rec.Body.String())
		}
	}
}
