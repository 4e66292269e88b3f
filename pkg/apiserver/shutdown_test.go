package apiserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestShutdownSignal: once the server stops accepting, a watch in flight
// sees its context end (and returns normally), other requests are left
// alone, and a new watch is answered 429 with Retry-After.
func TestShutdownSignal(t *testing.T) {
	shuttingDown := make(chan struct{})
	started := make(chan struct{})
	h := withShutdownSignal(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLongRunning(r) {
			if r.Context().Err() != nil {
				t.Error("a short request's context ended")
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		close(started)
		<-r.Context().Done()
		w.WriteHeader(http.StatusOK)
	}), shuttingDown)

	done := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/pods?watch=true", nil))
		done <- rec.Code
	}()
	<-started
	close(shuttingDown)
	if code := <-done; code != http.StatusOK {
		t.Errorf("watch in flight: %d, want it to end normally", code)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/pods?watch=true", nil))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
		t.Errorf("new watch while shutting down: %d Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/pods", nil))
	if rec.Code != http.StatusNoContent {
		t.Errorf("list while shutting down: %d", rec.Code)
	}
}
