package prober

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// hostRunner is a CommandRunner that runs commands on the test's host
// (real processes, real exit codes and output), the container ID
// ignored, with ExecSync's timeout and error conventions.
type hostRunner struct{}

type exitError struct{ code int }

func (e exitError) Error() string   { return fmt.Sprintf("command terminated with exit code %d", e.code) }
func (e exitError) ExitStatus() int { return e.code }

func (hostRunner) ExecSync(ctx context.Context, _ string, argv []string, timeout time.Duration) ([]byte, []byte, error) {
	if len(argv) == 0 {
		return nil, nil, status.Error(codes.InvalidArgument, "no command")
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, nil, status.Errorf(codes.DeadlineExceeded, "timeout %v exceeded: %v", timeout, ctx.Err())
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return []byte(stdout.String()), []byte(stderr.String()), exitError{exit.ExitCode()}
	}
	if err != nil {
		return nil, nil, status.Error(codes.Unknown, err.Error())
	}
	return []byte(stdout.String()), []byte(stderr.String()), nil
}

// hostPort splits a test server's URL.
func hostPort(t *testing.T, raw string) (string, int) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	return u.Hostname(), port
}

func TestHTTPProbe(t *testing.T) {
	var gotUA, gotHeader, gotHost string
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		gotUA, gotHeader, gotHost = r.UserAgent(), r.Header.Get("X-Probe"), r.Host
		fmt.Fprint(w, "fine")
	})
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/here", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "elsewhere") }))
	defer other.Close()
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		// Another host name for the same loopback: the kubelet does not follow.
		http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/", http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tlsSrv := httptest.NewTLSServer(mux)
	defer tlsSrv.Close()
	ip, port := hostPort(t, srv.URL)
	_, tlsPort := hostPort(t, tlsSrv.URL)
	c := &corev1.Container{Name: "app", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: int32(port)}}}
	h := newHandlers(nil)

	for _, tc := range []struct {
		name    string
		action  corev1.HTTPGetAction
		want    outcome
		wantOut string
		wantErr string
	}{
		{name: "200", action: corev1.HTTPGetAction{Path: "/ok", Port: intstr.FromInt(port)}, want: success, wantOut: "fine"},
		{name: "named port", action: corev1.HTTPGetAction{Path: "/ok", Port: intstr.FromString("http")}, want: success},
		{name: "https, unverified", action: corev1.HTTPGetAction{Path: "/ok", Port: intstr.FromInt(tlsPort), Scheme: corev1.URISchemeHTTPS}, want: success},
		{name: "404", action: corev1.HTTPGetAction{Path: "/missing", Port: intstr.FromInt(port)}, want: failure, wantOut: "HTTP probe failed with statuscode: 404"},
		{name: "local redirect followed", action: corev1.HTTPGetAction{Path: "/here", Port: intstr.FromInt(port)}, want: success, wantOut: "fine"},
		{name: "redirect off the pod not followed", action: corev1.HTTPGetAction{Path: "/away", Port: intstr.FromInt(port)}, want: warning, wantOut: "Probe terminated redirects"},
		{name: "timeout", action: corev1.HTTPGetAction{Path: "/slow", Port: intstr.FromInt(port)}, want: failure, wantOut: "Client.Timeout exceeded"},
		{name: "unknown port name", action: corev1.HTTPGetAction{Path: "/ok", Port: intstr.FromString("nope")}, want: unknown, wantErr: `port "nope" not found`},
		{name: "port out of range", action: corev1.HTTPGetAction{Path: "/ok", Port: intstr.FromInt(70000)}, want: unknown, wantErr: "invalid port number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &corev1.Probe{TimeoutSeconds: 1, ProbeHandler: corev1.ProbeHandler{HTTPGet: &tc.action}}
			got, out, err := h.probe(context.Background(), p, c, "cid", ip)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || !strings.Contains(out, tc.wantOut) {
				t.Fatalf("got %v %q, want %v %q", got, out, tc.want, tc.wantOut)
			}
		})
	}

	// Headers: the kubelet's User-Agent unless set, custom ones, Host.
	p := &corev1.Probe{TimeoutSeconds: 1, ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
		Path: "/ok", Port: intstr.FromInt(port), HTTPHeaders: []corev1.HTTPHeader{{Name: "X-Probe", Value: "yes"}, {Name: "Host", Value: "example.test"}}}}}
	if got, _, err := h.probe(context.Background(), p, c, "cid", ip); err != nil || got != success {
		t.Fatalf("probe with headers: %v %v", got, err)
	}
	if gotUA != "kube-probe/1.37" || gotHeader != "yes" || gotHost != "example.test" {
		t.Fatalf("request had User-Agent %q, X-Probe %q, Host %q", gotUA, gotHeader, gotHost)
	}
}

func TestTCPProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	h := newHandlers(nil)
	c := &corev1.Container{Name: "app"}
	probe := func(port int) (outcome, string) {
		p := &corev1.Probe{TimeoutSeconds: 1, ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt(port)}}}
		got, out, err := h.probe(context.Background(), p, c, "cid", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		return got, out
	}
	if got, out := probe(port); got != success {
		t.Fatalf("open port: %v %q", got, out)
	}
	ln.Close()
	if got, out := probe(port); got != failure || !strings.Contains(out, "connection refused") {
		t.Fatalf("closed port: %v %q, want failure: connection refused", got, out)
	}
}

func TestGRPCProbe(t *testing.T) {
	serve := func(withHealth bool) (*health.Server, int) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := grpc.NewServer()
		hs := health.NewServer()
		if withHealth {
			healthpb.RegisterHealthServer(s, hs)
		}
		go func() { _ = s.Serve(ln) }()
		t.Cleanup(s.Stop)
		return hs, ln.Addr().(*net.TCPAddr).Port
	}
	hs, port := serve(true)
	hs.SetServingStatus("db", healthpb.HealthCheckResponse_NOT_SERVING)
	_, bare := serve(false)
	closed := func() int {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}()
	h := newHandlers(nil)
	for _, tc := range []struct {
		name    string
		port    int
		service *string
		want    outcome
		wantOut string
	}{
		{name: "serving", port: port, want: success, wantOut: "service healthy"},
		{name: "not serving", port: port, service: ptr.To("db"), want: failure, wantOut: `service unhealthy (responded with "NOT_SERVING")`},
		{name: "unknown service", port: port, service: ptr.To("nope"), want: failure, wantOut: "health rpc probe failed"},
		{name: "no health service", port: bare, want: failure, wantOut: "does not implement the grpc health protocol"},
		{name: "closed port", port: closed, want: failure, wantOut: "failed to connect service"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &corev1.Probe{TimeoutSeconds: 2, ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: int32(tc.port), Service: tc.service}}}
			got, out, err := h.probe(context.Background(), p, &corev1.Container{Name: "app"}, "cid", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || !strings.Contains(out, tc.wantOut) {
				t.Fatalf("got %v %q, want %v %q", got, out, tc.want, tc.wantOut)
			}
		})
	}
}

func TestExecProbe(t *testing.T) {
	h := newHandlers(hostRunner{})
	c := &corev1.Container{Name: "app", Env: []corev1.EnvVar{{Name: "WORD", Value: "hello"},
		{Name: "FROM", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}}
	for _, tc := range []struct {
		name    string
		cmd     []string
		want    outcome
		wantOut string
	}{
		{name: "exit 0", cmd: []string{"sh", "-c", "echo ok"}, want: success, wantOut: "ok"},
		{name: "exit 1 with output", cmd: []string{"sh", "-c", "echo broken >&2; exit 1"}, want: failure, wantOut: "broken"},
		{name: "static env expanded", cmd: []string{"echo", "$(WORD)", "$(FROM)", "$$(WORD)"}, want: success, wantOut: "hello $(FROM) $(WORD)"},
		{name: "timeout", cmd: []string{"sleep", "10"}, want: failure, wantOut: `command timed out: "sleep 10" timed out after 1s`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &corev1.Probe{TimeoutSeconds: 1, ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: tc.cmd}}}
			got, out, err := h.probe(context.Background(), p, c, "cid", "")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || !strings.Contains(out, tc.wantOut) {
				t.Fatalf("got %v %q, want %v %q", got, out, tc.want, tc.wantOut)
			}
		})
	}
	// A runtime error (not an exit code) is an unknown outcome.
	p := &corev1.Probe{TimeoutSeconds: 1, ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{}}}
	if got, _, err := h.probe(context.Background(), p, c, "cid", ""); got != unknown || err == nil {
		t.Fatalf("empty command: %v %v, want unknown with an error", got, err)
	}
	// No runtime that can exec: an error, never a crash.
	if _, _, err := newHandlers(nil).probe(context.Background(), &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}}, c, "cid", ""); err == nil {
		t.Fatal("exec probe without a runner: no error")
	}
}
