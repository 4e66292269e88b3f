package tokencleaner_test

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/auth/bootstraptoken"
	"github.com/tinykube/tinykube/pkg/controller/tokencleaner"
)

// TestCleanup: an expired token's Secret is deleted at once, one that
// expires later when its time comes, one that never expires stays.
func TestCleanup(t *testing.T) {
	s := testserver.Start(t, "")
	now := time.Now()
	clk := clocktesting.NewFakeClock(now)
	ctx := context.Background()
	create := func(token string, ttl time.Duration, at time.Time) string {
		sec, err := bootstraptoken.NewSecret(token, bootstraptoken.Options{TTL: ttl}, at)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Client.CoreV1().Secrets("kube-system").Create(ctx, sec, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		return sec.Name
	}
	expired := create("aaaaaa.0123456789abcdef", time.Minute, now.Add(-time.Hour))
	later := create("bbbbbb.0123456789abcdef", time.Hour, now)
	forever := create("cccccc.0123456789abcdef", 0, now)
	controllertest.StartControllersOnClock(t, s, clk, tokencleaner.New)

	gone := func(name string) func(context.Context) (bool, error) {
		return func(ctx context.Context) (bool, error) {
			_, err := s.Client.CoreV1().Secrets("kube-system").Get(ctx, name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		}
	}
	controllertest.Eventually(t, "the expired token deleted", gone(expired))
	for _, name := range []string{later, forever} {
		if _, err := s.Client.CoreV1().Secrets("kube-system").Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// The later one's wait is on the fake clock: step past its expiry.
	controllertest.Eventually(t, "the later token deleted after its expiry", func(ctx context.Context) (bool, error) {
		clk.Step(10 * time.Minute)
		return gone(later)(ctx)
	})
	if _, err := s.Client.CoreV1().Secrets("kube-system").Get(ctx, forever, metav1.GetOptions{}); err != nil {
		t.Fatalf("the token that never expires: %v", err)
	}
}
