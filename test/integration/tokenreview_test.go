package integration

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/server"
)

// TestTokenReview: a TokenReview asks the server who a bearer token of its
// token file authenticates as; an unknown token is answered, not refused.
func TestTokenReview(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte("s3cret,alice,uid-1,\"dev,ops\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := server.DefaultConfig()
	cfg.DataDir, cfg.SecurePort, cfg.UnsafeNoFsync = filepath.Join(dir, "data"), 0, true
	cfg.TokenAuthFile = tokens
	s := testserver.StartWithConfig(t, cfg)
	ctx := context.Background()
	reviews := s.Client.AuthenticationV1().TokenReviews()

	r, err := reviews.Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: "s3cret"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("review of a valid token: %v", err)
	}
	u := r.Status.User
	if !r.Status.Authenticated || r.Status.Error != "" || u.Username != "alice" || u.UID != "uid-1" ||
		!slices.Equal(u.Groups, []string{"dev", "ops", "system:authenticated"}) ||
		!slices.Equal(r.Status.Audiences, []string{server.DefaultServiceAccountIssuer}) {
		t.Errorf("valid token: status = %+v", r.Status)
	}
	if r.Spec.Token != "s3cret" {
		t.Errorf("spec.token = %q, want it echoed", r.Spec.Token)
	}

	r, err = reviews.Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: "wrong"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("review of an unknown token: %v", err)
	}
	if r.Status.Authenticated || r.Status.Error == "" || r.Status.User.Username != "" {
		t.Errorf("unknown token: status = %+v, want unauthenticated with an error", r.Status)
	}

	// Token-file tokens are for the API audiences (the service-account
	// issuer): asked about for another audience, they authenticate nobody.
	r, err = reviews.Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: "s3cret",
		Audiences: []string{"https://example.com"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("review with audiences: %v", err)
	}
	if r.Status.Authenticated {
		t.Errorf("audience review: status = %+v, want unauthenticated", r.Status)
	}

	r, err = reviews.Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: "s3cret",
		Audiences: []string{"https://example.com", server.DefaultServiceAccountIssuer}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("review with audiences: %v", err)
	}
	if !r.Status.Authenticated || !slices.Equal(r.Status.Audiences, []string{server.DefaultServiceAccountIssuer}) {
		t.Errorf("review for the API audience among others: status = %+v", r.Status)
	}

	_, err = reviews.Create(ctx, &authenticationv1.TokenReview{}, metav1.CreateOptions{})
	if !apierrors.IsBadRequest(err) {
		t.Errorf("review without a token: err = %v, want 400", err)
	}
}
