package apiserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestWarmStacks: requests run to completion on workers (more at once
// than there are workers, too), and a handler's panic reaches the panic
// filter on the request's own goroutine, http.ErrAbortHandler included.
func TestWarmStacks(t *testing.T) {
	h := withPanicRecovery(withWarmStacks(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/panic":
			panic("boom")
		case "/abort":
			panic(http.ErrAbortHandler)
		}
		_, _ = w.Write([]byte("ok " + r.URL.Path))
	})))

	var wg sync.WaitGroup
	for i := range 2*maxWorkers + 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := httptest.NewRecorder()
			path := "/r" + strings.Repeat("x", i%7)
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			if rec.Body.String() != "ok "+path {
				t.Errorf("%s: got %q", path, rec.Body.String())
			}
		}()
	}
	wg.Wait()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/panic", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("panic: got %d %s", rec.Code, rec.Body.String())
	}

	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("abort: recovered %v, want http.ErrAbortHandler", p)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/abort", nil))
	t.Error("abort: handler returned")
}
