package nodeproxy_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	upstreamproxy "k8s.io/apimachinery/pkg/util/proxy"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/internal/streamtest"
)

// linksBackend is a pod's web server whose pages link back to it in
// every way a page can: absolute paths, relative paths, its own
// host:port, the Host it was asked as, another host.
func linksBackend(t *testing.T) *httptest.Server {
	t.Helper()
	page := func(r *http.Request) string {
		return `<html><head><link rel="stylesheet" href="/style.css"></head><body>` +
			`<a href="/rewriteme">test</a> <A HREF='/dir/'>dir</A> <a href="rel/x">rel</a> ` +
			`<a href="http://` + r.Context().Value(http.LocalAddrContextKey).(net.Addr).String() + `/own?q=1#f">own</a> ` +
			`<a href="http://` + r.Host + `/asked">asked</a> <a href="https://other.example/x">other</a> ` +
			`<img src="/i.png" alt="/not-a-url"/><div class='c' data-x="/y">text /z</div>` +
			`<a href="` + r.Header.Get("X-Forwarded-Uri") + `">already</a><form action="/post"></form><a href="%zz">bad</a>` +
			`<script src="/s.js">var u = "/inline";</script></body></html>`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("X-Seen", fmt.Sprintf("uri=%s host=%t fwd-host=%q fwd-proto=%q", r.Header.Get("X-Forwarded-Uri"),
			r.Host != r.Context().Value(http.LocalAddrContextKey).(net.Addr).String(), r.Header.Get("X-Forwarded-Host"), r.Header.Get("X-Forwarded-Proto")))
		switch r.URL.Path {
		case "/html", "/dir/html":
			h.Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, page(r))
		case "/sniffed": // no Content-Type: net/http sniffs text/html, as agnhost porter's
			io.WriteString(w, `<a href="/rewriteme">test</a>`)
		case "/plain":
			h.Set("Content-Type", "text/plain")
			io.WriteString(w, page(r))
		case "/upper":
			h.Set("Content-Type", "TEXT/HTML")
			io.WriteString(w, page(r))
		case "/gzip", "/deflate", "/br":
			h.Set("Content-Type", "text/html")
			h.Set("Content-Encoding", strings.TrimPrefix(r.URL.Path, "/"))
			var b bytes.Buffer
			var zw io.WriteCloser = &nopWriteCloser{&b}
			switch r.URL.Path {
			case "/gzip":
				zw = gzip.NewWriter(&b)
			case "/deflate":
				zw, _ = flate.NewWriter(&b, flate.DefaultCompression)
			}
			io.WriteString(zw, page(r))
			zw.Close()
			w.Write(b.Bytes())
		case "/redirect":
			h.Set("Content-Type", "text/html")
			h.Set("Location", r.URL.Query().Get("to"))
			w.WriteHeader(http.StatusFound)
			io.WriteString(w, page(r))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// upstreamPodProxy serves pods/proxy of a pod at podIP the way
// upstream's API server does (k8s.io/apimachinery/pkg/util/proxy's
// handler with its default transport): the test's reference.
func upstreamPodProxy(t *testing.T, prefix, backend string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		loc := &url.URL{Scheme: "http", Host: backend, Path: strings.TrimPrefix(r.URL.Path, prefix), RawQuery: r.URL.RawQuery}
		upstreamproxy.NewUpgradeAwareHandler(loc, nil, true, false, errorResponder{t}).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type errorResponder struct{ t *testing.T }

func (e errorResponder) Error(w http.ResponseWriter, _ *http.Request, err error) {
	http.Error(w, err.Error(), http.StatusInternalServerError)
}

// TestProxyRewritesLinks: the proxy subresources keep the links of a
// proxied page under the proxy path, as upstream's do (the conformance
// spec "Proxy … should proxy through a service and a pod" asks for
// `<a href="/rewriteme">` to come back as `<a href="…/proxy/rewriteme">`).
// Each response is compared with the one upstream's proxy handler gives
// for the same backend, and the plain ones with what is expected.
func TestProxyRewritesLinks(t *testing.T) {
	c := streamtest.StartCluster(t)
	backend := linksBackend(t)
	bport := backend.Listener.Addr().(*net.TCPAddr).Port
	prefix := fmt.Sprintf("/api/v1/namespaces/default/pods/web:%d/proxy", bport)
	ours := strings.TrimRight(c.Server.RESTConfig.Host, "/")
	theirs := upstreamPodProxy(t, prefix, backend.Listener.Addr().String())
	hc, err := rest.HTTPClientFor(c.Server.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hc.CheckRedirect = noRedirect
	direct := &http.Client{CheckRedirect: noRedirect}

	type response struct {
		status                int
		location, seen, cors  string
		contentType, encoding string
		body                  string
	}
	get := func(client *http.Client, base, sub, acceptEncoding string) response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+prefix+sub, nil)
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding) // and keep the body as sent
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body io.Reader = resp.Body
		switch resp.Header.Get("Content-Encoding") {
		case "gzip":
			if body, err = gzip.NewReader(resp.Body); err != nil {
				t.Fatalf("%s: %v", sub, err)
			}
		case "deflate":
			body = flate.NewReader(resp.Body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("%s: %v", sub, err)
		}
		// The pages name the host the client asked for.
		host := strings.TrimPrefix(base, "http://")
		host = strings.TrimPrefix(host, "https://")
		return response{resp.StatusCode, strings.ReplaceAll(resp.Header.Get("Location"), host, "CLIENT-HOST"),
			resp.Header.Get("X-Seen"), resp.Header.Get("Access-Control-Allow-Origin"),
			resp.Header.Get("Content-Type"), resp.Header.Get("Content-Encoding"), strings.ReplaceAll(string(b), host, "CLIENT-HOST")}
	}

	own := backend.Listener.Addr().String()
	rewritten := `<html><head><link rel="stylesheet" href="PREFIX/style.css"></head><body>` +
		`<a href="PREFIX/rewriteme">test</a> <a href="PREFIX/dir/">dir</A> <a href="rel/x">rel</a> ` +
		`<a href="PREFIX/own?q=1#f">own</a> ` +
		`<a href="http://CLIENT-HOST` + "PREFIX" + `/asked">asked</a> <a href="https://other.example/x">other</a> ` +
		`<img src="PREFIX/i.png" alt="/not-a-url"/><div class="c" data-x="/y">text /z</div>` +
		`<a href="PREFIX/FORWARDED">already</a><form action="PREFIX/post"></form><a href="%zz">bad</a>` +
		`<script src="PREFIX/s.js">var u = "/inline";</script></body></html>`
	for _, tc := range []struct {
		sub, acceptEncoding string
		want                response
	}{
		{sub: "/html", want: response{status: 200, contentType: "text/html; charset=utf-8",
			seen: `uri=PREFIX/html host=true fwd-host="" fwd-proto=""`,
			body: strings.ReplaceAll(rewritten, "FORWARDED", "html")}},
		{sub: "/dir/html", want: response{status: 200, contentType: "text/html; charset=utf-8",
			seen: `uri=PREFIX/dir/html host=true fwd-host="" fwd-proto=""`,
			body: strings.ReplaceAll(rewritten, "FORWARDED", "dir/html")}},
		{sub: "/sniffed", want: response{status: 200, contentType: "text/html; charset=utf-8",
			seen: `uri=PREFIX/sniffed host=true fwd-host="" fwd-proto=""`, body: `<a href="PREFIX/rewriteme">test</a>`}},
		{sub: "/gzip", acceptEncoding: "gzip", want: response{status: 200, contentType: "text/html", encoding: "gzip",
			seen: `uri=PREFIX/gzip host=true fwd-host="" fwd-proto=""`, body: strings.ReplaceAll(rewritten, "FORWARDED", "gzip")}},
		{sub: "/deflate", acceptEncoding: "deflate", want: response{status: 200, contentType: "text/html", encoding: "deflate",
			seen: `uri=PREFIX/deflate host=true fwd-host="" fwd-proto=""`, body: strings.ReplaceAll(rewritten, "FORWARDED", "deflate")}},
		{sub: "/redirect?to=/login", want: response{status: 302, contentType: "text/html", location: "PREFIX/login",
			seen: `uri=PREFIX/redirect host=true fwd-host="" fwd-proto=""`}},
		{sub: "/redirect?to=http://" + own + "/a/", want: response{status: 302, contentType: "text/html", location: "PREFIX/a/",
			seen: `uri=PREFIX/redirect host=true fwd-host="" fwd-proto=""`}},
		{sub: "/redirect?to=elsewhere", want: response{status: 302, contentType: "text/html", location: "elsewhere",
			seen: `uri=PREFIX/redirect host=true fwd-host="" fwd-proto=""`}},
		{sub: "/redirect?to=https://other.example/", want: response{status: 302, contentType: "text/html", location: "https://other.example/",
			seen: `uri=PREFIX/redirect host=true fwd-host="" fwd-proto=""`}},
	} {
		want := tc.want
		want.location = strings.ReplaceAll(want.location, "PREFIX", prefix)
		want.seen = strings.ReplaceAll(want.seen, "PREFIX", prefix)
		want.body = strings.ReplaceAll(want.body, "PREFIX", prefix)
		ref := get(direct, theirs.URL, tc.sub, tc.acceptEncoding)
		got := get(hc, ours, tc.sub, tc.acceptEncoding)
		if tc.want.status == 302 {
			// The redirects' bodies are relayed as they are.
			want.body, got.body, ref.body = "", "", ""
		}
		if got != ref {
			t.Errorf("GET %s: differs from upstream's proxy\n got: %+v\nwant: %+v", tc.sub, got, ref)
		}
		if got != want {
			t.Errorf("GET %s\n got: %+v\nwant: %+v", tc.sub, got, want)
		}
	}

	// Other types and unknown encodings pass unchanged. (Upstream means
	// to relay an HTML body of an unknown encoding as is, but closes it
	// first: its client gets the headers and then EOF.)
	for _, tc := range []struct{ sub, acceptEncoding string }{{"/plain", ""}, {"/upper", ""}, {"/br", "br"}} {
		got := get(hc, ours, tc.sub, tc.acceptEncoding)
		if tc.sub != "/br" {
			if ref := get(direct, theirs.URL, tc.sub, tc.acceptEncoding); got != ref {
				t.Errorf("GET %s: differs from upstream's proxy\n got: %+v\nwant: %+v", tc.sub, got, ref)
			}
		}
		if strings.Contains(got.body, prefix+"/rewriteme") || !strings.Contains(got.body, `<A HREF='/dir/'>`) {
			t.Errorf("GET %s: rewritten: %s", tc.sub, got.body)
		}
	}

	// nodes/proxy to another port of the node rewrites alike.
	nodePrefix := fmt.Sprintf("/api/v1/nodes/node-0:%d/proxy", bport)
	body, err := c.Server.Client.CoreV1().RESTClient().Get().AbsPath(nodePrefix + "/sniffed").DoRaw(context.Background())
	if want := `<a href="` + nodePrefix + `/rewriteme">test</a>`; err != nil || string(body) != want {
		t.Errorf("nodes/proxy: %q %v, want %q", body, err, want)
	}
}
