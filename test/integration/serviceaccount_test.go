package integration

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/server"
)

const issuer = server.DefaultServiceAccountIssuer

// startWithServiceAccounts starts a server with ServiceAccount admission
// on (testserver.Start leaves it off).
func startWithServiceAccounts(t *testing.T) *testserver.Server {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.DataDir, cfg.SecurePort, cfg.UnsafeNoFsync = filepath.Join(t.TempDir(), "data"), 0, true
	return testserver.StartWithConfig(t, cfg)
}

// tokenClient is a client that authenticates with token only.
func tokenClient(t *testing.T, s *testserver.Server, token string) kubernetes.Interface {
	t.Helper()
	cfg := rest.AnonymousClientConfig(s.RESTConfig)
	cfg.BearerToken = token
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func payload(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a compact JWS", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestServiceAccountTokens: serviceaccounts/token issues a JWT that
// authenticates a real request as the service account, that TokenReview
// accepts for the audiences it shares with the review, and that stops
// working once the account (or the pod it is bound to) is gone.
func TestServiceAccountTokens(t *testing.T) {
	s := startWithServiceAccounts(t)
	c, ctx := s.Client, context.Background()
	controllertest.CreateNamespace(t, c, "robots")
	sa, err := c.CoreV1().ServiceAccounts("robots").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "robot"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	before := time.Now()
	tr, err := c.CoreV1().ServiceAccounts("robots").CreateToken(ctx, "robot", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest: %v", err)
	}
	if tr.Name != "robot" || tr.Namespace != "robots" || tr.UID != sa.UID || !slices.Equal(tr.Spec.Audiences, []string{issuer}) ||
		tr.Spec.ExpirationSeconds == nil || *tr.Spec.ExpirationSeconds != 3600 {
		t.Errorf("TokenRequest = %+v", tr)
	}
	if exp := tr.Status.ExpirationTimestamp.Time; exp.Before(before.Add(time.Hour-time.Second)) || exp.After(time.Now().Add(time.Hour+time.Second)) {
		t.Errorf("expirationTimestamp = %v, want an hour from now", exp)
	}
	claims := payload(t, tr.Status.Token)
	k8s, _ := claims["kubernetes.io"].(map[string]any)
	if claims["iss"] != issuer || claims["sub"] != "system:serviceaccount:robots:robot" || claims["jti"] == nil ||
		k8s["namespace"] != "robots" || k8s["serviceaccount"].(map[string]any)["uid"] != string(sa.UID) {
		t.Errorf("claims = %v", claims)
	}

	// The token authenticates a request as the service account.
	who, err := tokenClient(t, s, tr.Status.Token).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("request with the token: %v", err)
	}
	u := who.Status.UserInfo
	if u.Username != "system:serviceaccount:robots:robot" || u.UID != string(sa.UID) ||
		!slices.Equal(u.Groups, []string{"system:serviceaccounts", "system:serviceaccounts:robots", "system:authenticated"}) ||
		len(u.Extra["authentication.kubernetes.io/credential-id"]) != 1 || u.Extra["authentication.kubernetes.io/credential-id"][0] != "JTI="+claims["jti"].(string) {
		t.Errorf("user = %+v", u)
	}

	// TokenReview: for the API audiences by default.
	reviews := c.AuthenticationV1().TokenReviews()
	review := func(token string, auds ...string) authenticationv1.TokenReviewStatus {
		t.Helper()
		r, err := reviews.Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token, Audiences: auds}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Status
	}
	st := review(tr.Status.Token)
	if !st.Authenticated || st.Error != "" || st.User.Username != u.Username || !slices.Equal(st.Audiences, []string{issuer}) {
		t.Errorf("review = %+v", st)
	}
	if st := review(tr.Status.Token, "https://vault.example"); st.Authenticated || !strings.Contains(st.Error, "audiences") {
		t.Errorf("review for another audience = %+v, want refused", st)
	}

	// A token for other audiences: reviewed for one of them, refused by
	// the API itself.
	other, err := c.CoreV1().ServiceAccounts("robots").CreateToken(ctx, "robot", &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{Audiences: []string{"vault", "consul"}, ExpirationSeconds: new(int64(600))}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st := review(other.Status.Token, "consul", "nomad"); !st.Authenticated || !slices.Equal(st.Audiences, []string{"consul"}) {
		t.Errorf("review for consul = %+v", st)
	}
	if _, err := tokenClient(t, s, other.Status.Token).CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); !apierrors.IsUnauthorized(err) {
		t.Errorf("API request with a vault/consul token: err = %v, want 401", err)
	}

	// Refusals, as upstream.
	create := func(name string, tr *authenticationv1.TokenRequest) error {
		_, err := c.CoreV1().ServiceAccounts("robots").CreateToken(ctx, name, tr, metav1.CreateOptions{})
		return err
	}
	if err := create("robot", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: new(int64(599))}}); !apierrors.IsInvalid(err) ||
		!strings.Contains(err.Error(), "may not specify a duration less than 10 minutes") {
		t.Errorf("599s: err = %v", err)
	}
	if err := create("robot", &authenticationv1.TokenRequest{ObjectMeta: metav1.ObjectMeta{Name: "other"}}); !apierrors.IsInvalid(err) {
		t.Errorf("name mismatch: err = %v, want 422", err)
	}
	if err := create("nobody", &authenticationv1.TokenRequest{}); !apierrors.IsNotFound(err) {
		t.Errorf("missing account: err = %v, want 404", err)
	}
	if err := create("robot", &authenticationv1.TokenRequest{ObjectMeta: metav1.ObjectMeta{UID: "not-the-uid"}}); !apierrors.IsConflict(err) {
		t.Errorf("uid mismatch: err = %v, want 409", err)
	}
	if err := create("robot", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "ConfigMap", APIVersion: "v1", Name: "x"}}}); !apierrors.IsBadRequest(err) {
		t.Errorf("bound to a ConfigMap: err = %v, want 400", err)
	}

	// Bound to a pod: the pod shows in the user, and the token dies with it.
	pod, err := c.CoreV1().Pods("robots").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{
		ServiceAccountName: "robot", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ref := &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "p", UID: "wrong"}
	if err := create("robot", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: ref}}); !apierrors.IsConflict(err) {
		t.Errorf("pod uid mismatch: err = %v, want 409", err)
	}
	ref.UID = pod.UID
	bound, err := c.CoreV1().ServiceAccounts("robots").CreateToken(ctx, "robot", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: ref}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st = review(bound.Status.Token)
	if !st.Authenticated || !slices.Equal(st.User.Extra["authentication.kubernetes.io/pod-name"], []string{"p"}) ||
		!slices.Equal(st.User.Extra["authentication.kubernetes.io/pod-uid"], []string{string(pod.UID)}) {
		t.Errorf("pod-bound review = %+v", st)
	}
	if err := c.CoreV1().Pods("robots").Delete(ctx, "p", metav1.DeleteOptions{GracePeriodSeconds: new(int64(0))}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "the pod-bound token to be refused", func(context.Context) (bool, error) {
		st := review(bound.Status.Token)
		return !st.Authenticated && st.Error == "service account token has been invalidated", nil
	})

	// Deleting the account ends its tokens.
	if err := c.CoreV1().ServiceAccounts("robots").Delete(ctx, "robot", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "the deleted account's token to be refused", func(context.Context) (bool, error) {
		_, err := tokenClient(t, s, tr.Status.Token).CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		return apierrors.IsUnauthorized(err), nil
	})
}

// TestServiceAccountTokenHTTP: the subresource answers 201 with the
// TokenRequest, as upstream, and is in discovery with its kind.
func TestServiceAccountTokenHTTP(t *testing.T) {
	s := startWithServiceAccounts(t)
	c, ctx := s.Client, context.Background()
	if _, err := c.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var code int
	res := c.CoreV1().RESTClient().Post().Namespace("default").Resource("serviceaccounts").Name("x").SubResource("token").
		Body([]byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}}`)).Do(ctx).StatusCode(&code)
	if err := res.Error(); err != nil || code != http.StatusCreated {
		t.Fatalf("POST token: %d %v", code, err)
	}
	_, list, err := c.Discovery().ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range list {
		if l.GroupVersion != "v1" {
			continue
		}
		for _, r := range l.APIResources {
			if r.Name == "serviceaccounts/token" {
				found = r.Group == "authentication.k8s.io" && r.Version == "v1" && r.Kind == "TokenRequest" && slices.Equal(r.Verbs, []string{"create"})
			}
		}
	}
	if !found {
		t.Error("serviceaccounts/token not in discovery as authentication.k8s.io/v1 TokenRequest, verbs [create]")
	}
}

// TestServiceAccountTokenAfterRestart: the signing key lives in pki/, so
// a token issued before a restart still authenticates after it.
func TestServiceAccountTokenAfterRestart(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.DataDir, cfg.SecurePort, cfg.UnsafeNoFsync = filepath.Join(t.TempDir(), "data"), 0, true
	s := testserver.StartWithConfig(t, cfg)
	ctx := context.Background()
	if _, err := s.Client.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "keeper"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tr, err := s.Client.CoreV1().ServiceAccounts("default").CreateToken(ctx, "keeper", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = testserver.StartWithConfig(t, cfg)
	who, err := tokenClient(t, s, tr.Status.Token).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token from before the restart: %v", err)
	}
	if who.Status.UserInfo.Username != "system:serviceaccount:default:keeper" {
		t.Errorf("user = %+v", who.Status.UserInfo)
	}
}
