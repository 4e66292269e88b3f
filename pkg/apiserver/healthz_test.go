package apiserver

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The bodies and codes upstream's healthz handlers answer, failing check
// included.
func TestHealthEndpoints(t *testing.T) {
	etcdErr := error(nil)
	mux := http.NewServeMux()
	registerHealth(mux, "readyz", []HealthCheck{
		{Name: "etcd", Check: func(*http.Request) error { return etcdErr }},
		{Name: "shutdown", Check: func(*http.Request) error { return nil }},
	})
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		b, _ := io.ReadAll(rec.Result().Body)
		return rec.Code, string(b)
	}
	for _, tc := range []struct {
		path     string
		etcdErr  error
		wantCode int
		wantBody string
	}{
		{"/readyz", nil, 200, "ok"},
		{"/readyz?verbose", nil, 200, "[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]shutdown ok\nreadyz check passed\n"},
		{"/readyz?verbose&exclude=etcd", nil, 200, "[+]ping ok\n[+]log ok\n[+]etcd excluded: ok\n[+]shutdown ok\nreadyz check passed\n"},
		{"/readyz/etcd", nil, 200, "ok"},
		{"/readyz", errors.New("down"), 500, "[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n[+]shutdown ok\nreadyz check failed\n"},
		{"/readyz?exclude=etcd", errors.New("down"), 200, "ok"},
		{"/readyz/etcd", errors.New("down"), 500, "internal server error: down\n"},
		{"/readyz/shutdown", errors.New("down"), 200, "ok"},
		{"/readyz/nope", nil, 404, "404 page not found\n"},
	} {
		etcdErr = tc.etcdErr
		code, body := get(tc.path)
		if code != tc.wantCode || body != tc.wantBody {
			t.Errorf("GET %s (etcd %v): %d %q, want %d %q", tc.path, tc.etcdErr, code, body, tc.wantCode, tc.wantBody)
		}
	}
}
