package serviceaccount_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controllermanager"
)

// TestDefaultServiceAccount: a new namespace gets a default
// ServiceAccount, and a deleted one comes back.
func TestDefaultServiceAccount(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := controllermanager.DefaultConfig()
	cfg.RESTConfig, cfg.LeaderElect, cfg.Controllers = s.RESTConfig, false, []string{"serviceaccount"}
	go func() { _ = controllermanager.Run(ctx, cfg) }()

	if _, err := s.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForSA := func() {
		t.Helper()
		controllertest.Eventually(t, "the default ServiceAccount", func(ctx context.Context) (bool, error) {
			_, err := s.Client.CoreV1().ServiceAccounts("team").Get(ctx, "default", metav1.GetOptions{})
			return err == nil, nil
		})
	}
	waitForSA()
	if err := s.Client.CoreV1().ServiceAccounts("team").Delete(ctx, "default", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForSA()
}
