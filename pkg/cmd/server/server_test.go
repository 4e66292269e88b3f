package server_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	servercmd "github.com/tinykube/tinykube/pkg/cmd/server"
)

// leases are the leader Leases `tinykube server` holds in-process.
var leases = []string{"kube-controller-manager", "kube-scheduler"}

// Shutting down lets the controller manager and scheduler give their
// Leases back before the API server stops, so the next start leads at
// once instead of waiting the old holder's lease out.
func TestShutdownReleasesLeaderLeases(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := servercmd.NewCommand()
	cmd.SetArgs([]string{"--data-dir", dir, "--secure-port", "0", "--unsafe-no-fsync"})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()

	var client kubernetes.Interface
	controllertest.EventuallyWithin(t, "both leases held", 60*time.Second, func(ctx context.Context) (bool, error) {
		if client == nil {
			rc, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, "admin.kubeconfig"))
			if err != nil {
				return false, nil // not written yet
			}
			if client, err = kubernetes.NewForConfig(rc); err != nil {
				return false, err
			}
		}
		for _, name := range leases {
			l, err := client.CoordinationV1().Leases("kube-system").Get(ctx, name, metav1.GetOptions{})
			if err != nil || l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" {
				return false, nil
			}
		}
		return true, nil
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop")
	}

	// The API server alone on the same data: nobody holds the Leases.
	s := testserver.Start(t, dir)
	for _, name := range leases {
		l, err := s.Client.CoordinationV1().Leases("kube-system").Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if h := l.Spec.HolderIdentity; h != nil && *h != "" {
			t.Errorf("lease %s still held by %q after shutdown", name, *h)
		}
	}
}
