package leaderelect_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/leaderelect"
)

// TestOneLeader: two candidates for one Lease never run at once; when the
// leader stops, the other takes over.
func TestOneLeader(t *testing.T) {
	s := testserver.Start(t, "")
	var running, maxRunning atomic.Int32
	started := make(chan string, 2)
	candidate := func(ctx context.Context, client kubernetes.Interface, id string) {
		_ = leaderelect.Run(ctx, client, "test-component", id, slog.Default(), func(ctx context.Context) error {
			n := running.Add(1)
			defer running.Add(-1)
			for {
				if m := maxRunning.Load(); n <= m || maxRunning.CompareAndSwap(m, n) {
					break
				}
			}
			started <- id
			<-ctx.Done()
			return nil
		})
	}
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	// b's client counts b's reads of the Lease: each is one attempt to
	// acquire it.
	var bTries atomic.Int32
	cfgB := rest.CopyConfig(s.RESTConfig)
	cfgB.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/leases/test-component") {
				bTries.Add(1)
			}
			return rt.RoundTrip(r)
		})
	})
	clientB, err := kubernetes.NewForConfig(cfgB)
	if err != nil {
		t.Fatal(err)
	}
	go candidate(ctxA, s.Client, "a")
	if first := <-started; first != "a" {
		t.Fatalf("first leader %s, want a", first)
	}
	go candidate(ctxB, clientB, "b")
	// b's second read means its first attempt ended without the lease.
	controllertest.Eventually(t, "b to try for the lease twice", func(context.Context) (bool, error) {
		return bTries.Load() >= 2, nil
	})
	select {
	case id := <-started:
		t.Fatalf("%s started while a held the lease", id)
	default:
	}
	lease, err := s.Client.CoordinationV1().Leases("kube-system").Get(context.Background(), "test-component", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h := lease.Spec.HolderIdentity; h == nil || *h != "a" {
		t.Fatalf("lease holder %v while a leads, want a", h)
	}
	stopA() // releases the lease on cancel
	select {
	case id := <-started:
		if id != "b" {
			t.Fatalf("took over: %s, want b", id)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("b never became leader after a stopped")
	}
	if m := maxRunning.Load(); m != 1 {
		t.Fatalf("%d candidates ran at once", m)
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
