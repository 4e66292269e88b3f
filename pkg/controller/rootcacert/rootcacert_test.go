package rootcacert_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller/rootcacert"
	"github.com/tinykube/tinykube/pkg/controllermanager"
)

// TestPublish: a new namespace gets kube-root-ca.crt with the CA; a
// changed or deleted one is restored.
func TestPublish(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const ca = "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n"
	cfg := controllermanager.DefaultConfig()
	cfg.RESTConfig, cfg.LeaderElect, cfg.Controllers, cfg.RootCA = s.RESTConfig, false, []string{"root-ca-cert-publisher"}, []byte(ca)
	go func() { _ = controllermanager.Run(ctx, cfg) }()

	if _, err := s.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForCA := func(what string) {
		t.Helper()
		controllertest.Eventually(t, "root CA ConfigMap "+what, func(ctx context.Context) (bool, error) {
			cm, err := s.Client.CoreV1().ConfigMaps("team").Get(ctx, rootcacert.Name, metav1.GetOptions{})
			return err == nil && cm.Data[rootcacert.Key] == ca && len(cm.Data) == 1, nil
		})
	}
	waitForCA("published")
	cm, err := s.Client.CoreV1().ConfigMaps("team").Get(ctx, rootcacert.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data[rootcacert.Key] = "tampered"
	if _, err := s.Client.CoreV1().ConfigMaps("team").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForCA("restored after change")
	if err := s.Client.CoreV1().ConfigMaps("team").Delete(ctx, rootcacert.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForCA("recreated after delete")
	// Existing namespaces have it too.
	if _, err := s.Client.CoreV1().ConfigMaps("kube-system").Get(ctx, rootcacert.Name, metav1.GetOptions{}); err != nil {
		t.Errorf("kube-system: %v", err)
	}
}
