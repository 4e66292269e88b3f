package nodeproxy_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	gwebsocket "github.com/gorilla/websocket"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"
	"k8s.io/client-go/util/exec"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/streamtest"
)

func TestPodLogs(t *testing.T) {
	c := streamtest.StartCluster(t)
	ctx := context.Background()
	pods := c.Server.Client.CoreV1().Pods("default")
	got, err := pods.GetLogs("web", &corev1.PodLogOptions{Container: "app"}).DoRaw(ctx)
	if err != nil || string(got) != "one\ntwo\n" {
		t.Errorf("logs: %q %v", got, err)
	}
	got, err = pods.GetLogs("web", &corev1.PodLogOptions{Container: "app", TailLines: ptr.To[int64](1), Timestamps: true}).DoRaw(ctx)
	if err != nil || string(got) != "2024-01-02T03:04:02Z two\n" {
		t.Errorf("tail 1 with timestamps: %q %v", got, err)
	}
	got, err = pods.GetLogs("web", &corev1.PodLogOptions{Container: "app", LimitBytes: ptr.To[int64](2)}).DoRaw(ctx)
	if err != nil || string(got) != "on" {
		t.Errorf("limitBytes: %q %v", got, err)
	}

	got, err = pods.GetLogs("web", &corev1.PodLogOptions{Container: "app", Stream: ptr.To(corev1.LogStreamStderr)}).DoRaw(ctx)
	if err != nil || string(got) != "two\n" {
		t.Errorf("stream Stderr: %q %v", got, err)
	}
	_, err = pods.GetLogs("web", &corev1.PodLogOptions{Container: "app", Stream: ptr.To(corev1.LogStreamStderr), TailLines: ptr.To[int64](1)}).DoRaw(ctx)
	if !apierrors.IsInvalid(err) {
		t.Errorf("stream Stderr with tailLines: %v, want Invalid", err)
	}

	// Bad options: 422 when they do not validate, 400 when they do not
	// parse; a container must be named when there are several.
	_, err = pods.GetLogs("web", &corev1.PodLogOptions{Container: "app", TailLines: ptr.To[int64](-1)}).DoRaw(ctx)
	if !apierrors.IsInvalid(err) {
		t.Errorf("tailLines -1: %v, want Invalid", err)
	}
	_, err = pods.GetLogs("web", &corev1.PodLogOptions{Container: "app", SinceSeconds: ptr.To[int64](5), SinceTime: &metav1.Time{Time: time.Now()}}).DoRaw(ctx)
	if !apierrors.IsInvalid(err) {
		t.Errorf("sinceSeconds and sinceTime: %v, want Invalid", err)
	}
	_, err = c.Server.Client.CoreV1().RESTClient().Get().AbsPath("/api/v1/namespaces/default/pods/web/log").Param("tailLines", "many").DoRaw(ctx)
	if !apierrors.IsBadRequest(err) {
		t.Errorf("tailLines=many: %v, want BadRequest", err)
	}
	err = pods.GetLogs("web", &corev1.PodLogOptions{}).Do(ctx).Error()
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "a container name must be specified for pod web, choose one of: [app side]") {
		t.Errorf("no container: %v", err)
	}
	// The kubelet's refusal comes through as upstream's BadRequest.
	err = pods.GetLogs("web", &corev1.PodLogOptions{Container: "side"}).Do(ctx).Error()
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), `container "side" in pod "web" is waiting to start`) {
		t.Errorf("not started: %v", err)
	}

	// Follow: lines appended later arrive; the stream ends when the
	// container stops.
	stream, err := pods.GetLogs("web", &corev1.PodLogOptions{Container: "app", Follow: true}).Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	buf := make([]byte, 0, 64)
	readUntil := func(want string) {
		t.Helper()
		for !strings.Contains(string(buf), want) {
			b := make([]byte, 64)
			n, err := stream.Read(b)
			buf = append(buf, b[:n]...)
			if err != nil {
				t.Fatalf("reading the followed log: %v (have %q, want %q)", err, buf, want)
			}
		}
	}
	readUntil("one\ntwo\n")
	c.AppendLog(t, "2024-01-02T03:04:03Z stdout F three\n")
	readUntil("three\n")
	c.Runtime.SetRunning(c.AppID, false)
	rest, err := io.ReadAll(stream)
	if err != nil || len(rest) != 0 {
		t.Errorf("after the container stopped: %q %v", rest, err)
	}
}

func execURL(c *streamtest.Cluster, sub string, params url.Values) *url.URL {
	u, _ := url.Parse(c.Server.RESTConfig.Host)
	u.Path = "/api/v1/namespaces/default/pods/web/" + sub
	u.RawQuery = params.Encode()
	return u
}

// TestExecAndAttach: exec and attach through the API server, over SPDY
// and over WebSocket (v5, translated to SPDY towards the kubelet) as
// kubectl ≥ 1.30 does.
func TestExecAndAttach(t *testing.T) {
	c := streamtest.StartCluster(t)
	ctx := context.Background()
	cat := url.Values{"container": {"app"}, "command": {"cat"}, "stdin": {"true"}, "stdout": {"true"}, "stderr": {"true"}}
	exit3 := url.Values{"container": {"app"}, "command": {"exit", "3"}, "stdout": {"true"}}
	attach := url.Values{"container": {"app"}, "stdin": {"true"}, "stdout": {"true"}}
	executors := map[string]func(u *url.URL) (remotecommand.Executor, error){
		"spdy": func(u *url.URL) (remotecommand.Executor, error) {
			return remotecommand.NewSPDYExecutor(c.Server.RESTConfig, "POST", u)
		},
		"websocket": func(u *url.URL) (remotecommand.Executor, error) {
			return remotecommand.NewWebSocketExecutor(c.Server.RESTConfig, "GET", u.String())
		},
	}
	for name, newExec := range executors {
		t.Run(name, func(t *testing.T) {
			ex, err := newExec(execURL(c, "exec", cat))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: strings.NewReader("hello\nworld\n"), Stdout: &out, Stderr: io.Discard}); err != nil {
				t.Fatalf("exec cat: %v", err)
			}
			if out.String() != "hello\nworld\n" {
				t.Errorf("exec cat: stdout %q", out.String())
			}
			ex, err = newExec(execURL(c, "exec", exit3))
			if err != nil {
				t.Fatal(err)
			}
			err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: io.Discard})
			var code exec.CodeExitError
			if !errors.As(err, &code) || code.Code != 3 {
				t.Errorf("exec exit 3: %v", err)
			}
			// A terminal: stderr merges into stdout, resizes travel.
			tty := url.Values{"container": {"app"}, "command": {"cat"}, "stdin": {"true"}, "stdout": {"true"}, "stderr": {"true"}, "tty": {"true"}}
			ex, err = newExec(execURL(c, "exec", tty))
			if err != nil {
				t.Fatal(err)
			}
			out.Reset()
			sizes := &oneSize{size: &remotecommand.TerminalSize{Width: 80, Height: 24}}
			if err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: strings.NewReader("tty\n"), Stdout: &out, Tty: true, TerminalSizeQueue: sizes}); err != nil {
				t.Fatalf("exec with a tty: %v", err)
			}
			if out.String() != "tty\n" {
				t.Errorf("exec with a tty: stdout %q", out.String())
			}
			ex, err = newExec(execURL(c, "attach", attach))
			if err != nil {
				t.Fatal(err)
			}
			out.Reset()
			if err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: strings.NewReader("attached\n"), Stdout: &out}); err != nil {
				t.Fatalf("attach: %v", err)
			}
			if out.String() != "attached\n" {
				t.Errorf("attach: stdout %q", out.String())
			}
		})
	}

	// Refusals before any upgrade are plain API errors.
	err := c.Server.Client.CoreV1().RESTClient().Post().AbsPath("/api/v1/namespaces/default/pods/web/exec").Param("command", "cat").Do(ctx).Error()
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "at least 1 of stdin, stdout, stderr") {
		t.Errorf("no streams: %v", err)
	}
	if _, err := c.Server.Client.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "pending"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "busybox"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	u := execURL(c, "exec", cat)
	u.Path = "/api/v1/namespaces/default/pods/pending/exec"
	ex, err := remotecommand.NewSPDYExecutor(c.Server.RESTConfig, "POST", u)
	if err != nil {
		t.Fatal(err)
	}
	err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: strings.NewReader(""), Stdout: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "pod pending does not have a host assigned") {
		t.Errorf("exec in a pod without a node: %v", err)
	}
}

// TestPortForward: port-forward through the API server over SPDY and
// over WebSocket tunneling, then an HTTP request through it.
func TestPortForward(t *testing.T) {
	c := streamtest.StartCluster(t)
	u := execURL(c, "portforward", nil)
	rt, upgrader, err := spdy.RoundTripperFor(c.Server.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	dialers := map[string]func() (httpstream.Dialer, error){
		"spdy": func() (httpstream.Dialer, error) {
			return spdy.NewDialer(upgrader, &http.Client{Transport: rt}, "POST", u), nil
		},
		"websocket": func() (httpstream.Dialer, error) {
			return portforward.NewSPDYOverWebsocketDialer(u, c.Server.RESTConfig)
		},
	}
	for name, newDialer := range dialers {
		t.Run(name, func(t *testing.T) {
			d, err := newDialer()
			if err != nil {
				t.Fatal(err)
			}
			stop, ready := make(chan struct{}), make(chan struct{})
			fw, err := portforward.NewOnAddresses(d, []string{"127.0.0.1"}, []string{"0:" + strconv.Itoa(c.Port)}, stop, ready, io.Discard, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- fw.ForwardPorts() }()
			defer func() {
				close(stop)
				<-done
			}()
			select {
			case <-ready:
			case err := <-done:
				t.Fatalf("port-forward: %v", err)
			}
			ports, err := fw.GetPorts()
			if err != nil || len(ports) != 1 {
				t.Fatalf("ports %v %v", ports, err)
			}
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/through", ports[0].Local))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.HasPrefix(string(body), "hello from the pod: GET /through") {
				t.Errorf("through the forward: %q", body)
			}
		})
	}
}

// TestProxies: pods/proxy, services/proxy and nodes/proxy.
func TestProxies(t *testing.T) {
	c := streamtest.StartCluster(t)
	ctx := context.Background()
	core := c.Server.Client.CoreV1()
	port := strconv.Itoa(c.Port)
	body, err := core.Pods("default").ProxyGet("http", "web", port, "/a/b", map[string]string{"q": "1"}).DoRaw(ctx)
	if err != nil || string(body) != "hello from the pod: GET /a/b?q=1" {
		t.Errorf("pods/proxy: %q %v", body, err)
	}
	// The first container port when none is named.
	body, err = core.RESTClient().Get().AbsPath("/api/v1/namespaces/default/pods/web/proxy/").DoRaw(ctx)
	if err != nil || !strings.HasPrefix(string(body), "hello from the pod: GET /") {
		t.Errorf("pods/proxy without a port: %q %v", body, err)
	}
	body, err = core.RESTClient().Post().AbsPath("/api/v1/namespaces/default/pods/web:" + port + "/proxy/post").DoRaw(ctx)
	if err != nil || !strings.HasPrefix(string(body), "hello from the pod: POST /post") {
		t.Errorf("pods/proxy POST: %q %v", body, err)
	}

	// GET and HEAD of the subresource itself: a 301 to it with a slash
	// (query kept), as upstream; other methods are relayed.
	hc, err := rest.HTTPClientFor(c.Server.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	base := strings.TrimRight(c.Server.RESTConfig.Host, "/") + "/api/v1/namespaces/default/pods/web:" + port + "/proxy"
	for _, tc := range []struct{ method, url, location string }{
		{http.MethodGet, base + "?method=GET", "/api/v1/namespaces/default/pods/web:" + port + "/proxy/?method=GET"},
		{http.MethodHead, base, "/api/v1/namespaces/default/pods/web:" + port + "/proxy/"},
		{http.MethodPost, base, ""},
		{http.MethodGet, base + "/", ""},
	} {
		req, _ := http.NewRequest(tc.method, tc.url, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if tc.location != "" && (resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != tc.location) {
			t.Errorf("%s %s: %d, Location %q; want 301 to %q", tc.method, tc.url, resp.StatusCode, resp.Header.Get("Location"), tc.location)
		}
		if tc.location == "" && resp.StatusCode != http.StatusOK {
			t.Errorf("%s %s: %d, want 200 (relayed)", tc.method, tc.url, resp.StatusCode)
		}
	}

	if _, err := core.Services("default").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(int32(c.Port))}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Endpoints may not name loopback addresses, and a test may send
	// traffic to no other: services/proxy reaching an endpoint is
	// covered with a real node (test/e2e); here, its refusals.
	err = core.RESTClient().Get().AbsPath("/api/v1/namespaces/default/services/http:web:http/proxy/svc").Do(ctx).Error()
	if !apierrors.IsServiceUnavailable(err) || !strings.Contains(err.Error(), `no endpoints available for service "web"`) {
		t.Errorf("services/proxy without endpoints: %v", err)
	}
	err = core.RESTClient().Get().AbsPath("/api/v1/namespaces/default/services/web:nope/proxy/").Do(ctx).Error()
	if !apierrors.IsServiceUnavailable(err) || !strings.Contains(err.Error(), `no service port "nope" found for service "web"`) {
		t.Errorf("services/proxy to an unknown port: %v", err)
	}
	err = core.RESTClient().Get().AbsPath("/api/v1/namespaces/default/services/ftp:web:http/proxy/").Do(ctx).Error()
	if !apierrors.IsBadRequest(err) {
		t.Errorf("services/proxy with scheme ftp: %v", err)
	}

	body, err = core.RESTClient().Get().AbsPath("/api/v1/nodes/node-0/proxy/healthz").DoRaw(ctx)
	if err != nil || string(body) != "ok" {
		t.Errorf("nodes/proxy/healthz: %q %v", body, err)
	}
	body, err = core.RESTClient().Get().AbsPath("/api/v1/nodes/node-0/proxy/pods").DoRaw(ctx)
	if err != nil || !strings.Contains(string(body), `"name":"web"`) {
		t.Errorf("nodes/proxy/pods: %q %v", body, err)
	}
}

// oneSize is a terminal that reports one size, then none.
type oneSize struct {
	size *remotecommand.TerminalSize
	done bool
}

func (o *oneSize) Next() *remotecommand.TerminalSize {
	if o.done {
		return nil
	}
	o.done = true
	return o.size
}

// dialWebSocket opens a WebSocket to the API server's path with the
// given subprotocol, as the e2e suite's clients do.
func dialWebSocket(t *testing.T, c *streamtest.Cluster, path string, query url.Values, protocol string) *gwebsocket.Conn {
	t.Helper()
	tlsCfg, err := rest.TLSConfigFor(c.Server.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(c.Server.RESTConfig.Host)
	if err != nil {
		t.Fatal(err)
	}
	u.Scheme, u.Path, u.RawQuery = "wss", path, query.Encode()
	h := http.Header{}
	if tok := c.Server.RESTConfig.BearerToken; tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	d := gwebsocket.Dialer{TLSClientConfig: tlsCfg, Subprotocols: []string{protocol}, HandshakeTimeout: 10 * time.Second}
	ws, resp, err := d.Dial(u.String(), h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("WebSocket %s (%s): %v (HTTP %d)", path, protocol, err, status)
	}
	t.Cleanup(func() { ws.Close() })
	if ws.Subprotocol() != protocol {
		t.Fatalf("WebSocket %s: protocol %q, want %q", path, ws.Subprotocol(), protocol)
	}
	return ws
}

// readAll reads messages until the server closes the connection.
func readAll(t *testing.T, ws *gwebsocket.Conn) (kinds []int, msgs [][]byte) {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		kind, msg, err := ws.ReadMessage()
		if err != nil {
			if !gwebsocket.IsCloseError(err, gwebsocket.CloseNormalClosure) {
				t.Fatalf("reading: %v", err)
			}
			return kinds, msgs
		}
		kinds, msgs = append(kinds, kind), append(msgs, msg)
	}
}

// TestWebSocketV1ExecAndLogs: exec over the first channel protocol
// (channel.k8s.io: the error channel carries the error's text, nothing
// on success) and pods/log over WebSocket (binary.k8s.io and
// base64.binary.k8s.io), as the e2e suite's Pods specs use them.
func TestWebSocketV1ExecAndLogs(t *testing.T) {
	c := streamtest.StartCluster(t)
	channels := func(msgs [][]byte) map[byte]string {
		out := map[byte]string{}
		for _, m := range msgs {
			if len(m) > 0 {
				out[m[0]] += string(m[1:])
			}
		}
		return out
	}
	ws := dialWebSocket(t, c, "/api/v1/namespaces/default/pods/web/exec",
		url.Values{"container": {"app"}, "command": {"echo", "remote execution test"}, "stdout": {"1"}, "stderr": {"1"}}, "channel.k8s.io")
	_, msgs := readAll(t, ws)
	if got := channels(msgs); got[1] != "remote execution test\n" || got[3] != "" {
		t.Errorf("exec echo over channel.k8s.io: stdout %q, error %q", got[1], got[3])
	}
	ws = dialWebSocket(t, c, "/api/v1/namespaces/default/pods/web/exec",
		url.Values{"container": {"app"}, "command": {"exit", "3"}, "stdout": {"1"}}, "channel.k8s.io")
	_, msgs = readAll(t, ws)
	if got := channels(msgs); !strings.Contains(got[3], "exit code 3") {
		t.Errorf("exec exit 3 over channel.k8s.io: error channel %q", got[3])
	}

	for protocol, wantKind := range map[string]int{"binary.k8s.io": gwebsocket.BinaryMessage, "base64.binary.k8s.io": gwebsocket.TextMessage} {
		ws := dialWebSocket(t, c, "/api/v1/namespaces/default/pods/web/log", url.Values{"container": {"app"}}, protocol)
		kinds, msgs := readAll(t, ws)
		var got bytes.Buffer
		for i, m := range msgs {
			if kinds[i] != wantKind {
				t.Errorf("%s: message kind %d, want %d", protocol, kinds[i], wantKind)
			}
			if wantKind == gwebsocket.TextMessage {
				if m, err := base64.StdEncoding.DecodeString(string(m)); err == nil {
					got.Write(m)
				} else {
					t.Errorf("%s: %v", protocol, err)
				}
				continue
			}
			got.Write(m)
		}
		if got.String() != "one\ntwo\n" {
			t.Errorf("logs over %s: %q", protocol, got.String())
		}
	}
}
