package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCurl(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/hostname", func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		fmt.Fprintf(w, "pod-1 %s from %s", r.Method, host)
	})
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/hostname", http.StatusFound) })
	slow := make(chan struct{})
	defer close(slow)
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-slow:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tlsSrv := httptest.NewTLSServer(mux)
	defer tlsSrv.Close()
	closed := httptest.NewServer(mux)
	closed.Close()

	for _, tc := range []struct {
		args []string
		rc   int
		want string // stdout; a trailing "*" matches any rest
	}{
		{[]string{"-q", "-s", "--connect-timeout", "2", "--max-time", "60", srv.URL + "/hostname"}, 0, "pod-1 GET from 127.0.0.1"},
		{[]string{"-g", "--connect-timeout", "5", "--interface", "127.0.0.1", srv.URL + "/hostname"}, 0, "pod-1 GET from 127.0.0.1"},
		{[]string{"-s", "-o", "/dev/null", "-w", "%{http_code}", srv.URL + "/missing"}, 0, "404"},
		{[]string{"-sf", srv.URL + "/missing"}, 22, ""},
		{[]string{"-s", srv.URL + "/moved"}, 0, "<a href=\"/hostname\">Found</a>.\n\n"},
		{[]string{"-sL", srv.URL + "/moved"}, 0, "pod-1 GET from 127.0.0.1"},
		{[]string{"-XPOST", "-s", srv.URL + "/hostname"}, 0, "pod-1 POST from 127.0.0.1"},
		{[]string{"-sIk", tlsSrv.URL + "/hostname"}, 0, "HTTP/1.1 200 OK\r\n*"},
		{[]string{"-s", tlsSrv.URL + "/hostname"}, 1, ""}, // unknown CA
		{[]string{"-s", closed.URL + "/hostname"}, 7, ""},
		{[]string{"-s", "-m", "0.5", srv.URL + "/slow"}, 28, ""},
		{[]string{"-s", "--data-binary", "x", srv.URL}, 2, ""},
		{[]string{"-s"}, 2, ""},
	} {
		var stdout, stderr bytes.Buffer
		e := env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}
		start := time.Now()
		rc := curl(e, tc.args)
		got, want := stdout.String(), tc.want
		if w, ok := strings.CutSuffix(want, "*"); ok {
			want, got = w, got[:min(len(got), len(w))]
		}
		if rc != tc.rc || got != want {
			t.Errorf("curl %q: rc %d, stdout %q (stderr %q, %v); want rc %d, %q", tc.args, rc, stdout.String(), stderr.String(), time.Since(start), tc.rc, tc.want)
		}
	}
}
