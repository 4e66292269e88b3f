package kubeconfig

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// TestWaitForAPIServer: an address nothing listens on fails after the
// timeout with an error naming the server and the reason; a server that
// answers /healthz, or refuses the credentials, is reachable.
func TestWaitForAPIServer(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	err = WaitForAPIServer(context.Background(), &rest.Config{Host: "https://" + addr}, time.Second, logger)
	want := "the API server at https://" + addr + " did not answer within 1s: "
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error %v, want %q and connection refused", err, want)
	}

	for _, code := range []int{http.StatusOK, http.StatusUnauthorized} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/healthz" {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(code)
		}))
		if err := WaitForAPIServer(context.Background(), &rest.Config{Host: srv.URL}, time.Minute, logger); err != nil {
			t.Errorf("/healthz %d: %v", code, err)
		}
		srv.Close()
	}
}
