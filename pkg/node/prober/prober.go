package prober

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tinykube/tinykube/pkg/version"
)

// CommandRunner runs a command in a container and waits for it: the CRI
// RuntimeService's ExecSync with the signature of k8s.io/cri-api's
// RuntimeService interface (pkg/apis/services.go), which the node's CRI
// client (pkg/node/cri) implements. timeout 0 means none.
//
// A command that runs and exits non-zero returns its output and an
// error with an ExitStatus() int method (k8s.io/utils/exec.ExitError's;
// pkg/node/cri's ExitError). A timeout is a context or gRPC
// DeadlineExceeded error. Implementations must be safe for concurrent
// use.
type CommandRunner interface {
	ExecSync(ctx context.Context, containerID string, cmd []string, timeout time.Duration) (stdout, stderr []byte, err error)
}

// exitStatus is the error of a command that ran and exited non-zero.
type exitStatus interface{ ExitStatus() int }

// Kind is a probe kind.
type Kind int

const (
	Liveness Kind = iota
	Readiness
	Startup
)

// String is the kind as the kubelet's events spell it.
func (k Kind) String() string {
	switch k {
	case Liveness:
		return "Liveness"
	case Readiness:
		return "Readiness"
	case Startup:
		return "Startup"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// spec returns c's probe of kind k, or nil.
func (k Kind) spec(c *corev1.Container) *corev1.Probe {
	switch k {
	case Liveness:
		return c.LivenessProbe
	case Readiness:
		return c.ReadinessProbe
	case Startup:
		return c.StartupProbe
	}
	return nil
}

// outcome of one probe run (before thresholds).
type outcome int

const (
	success outcome = iota
	warning         // succeeded, with something to say (a redirect not followed)
	failure
	unknown // the probe could not run: an error, retried
)

// maxOutput caps what is read of a probe's response or command output.
const maxOutput = 10 << 10

// userAgent is what the kubelet sends: kube-probe/1.37, kube-lifecycle/1.37.
func userAgent(purpose string) string {
	return fmt.Sprintf("kube-%s/%s.%s", purpose, version.Major, version.Minor)
}

// handlers run the four kinds of action probes and hooks share.
type handlers struct {
	runner CommandRunner
	// transport for httpGet: no keep-alives, no proxy, no compression,
	// TLS unverified (the kubelet does not verify a pod's certificate).
	transport *http.Transport
}

func newHandlers(runner CommandRunner) *handlers {
	return &handlers{runner: runner, transport: &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // as the kubelet
		DisableKeepAlives:   true,
		DisableCompression:  true,
		Proxy:               nil,
		DialContext:         dialer().DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
	}}
}

// dialer closes probe connections with a one-second linger, as the
// kubelet's does, so that probing does not fill the node with TIME_WAIT
// sockets.
func dialer() *net.Dialer {
	return &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) {
			_ = syscall.SetsockoptLinger(int(fd), syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 1})
		})
	}}
}

// probe runs p once against container c (ID containerID) of a pod at
// podIP and returns the outcome and its output (the failure message).
func (h *handlers) probe(ctx context.Context, p *corev1.Probe, c *corev1.Container, containerID, podIP string) (outcome, string, error) {
	timeout := time.Duration(p.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = time.Second
	}
	switch {
	case p.Exec != nil:
		return h.execProbe(ctx, expandCommand(p.Exec.Command, c.Env), containerID, timeout)
	case p.HTTPGet != nil:
		req, err := httpRequest(ctx, p.HTTPGet, c, podIP, "probe")
		if err != nil {
			return unknown, "", err
		}
		return h.httpProbe(req, timeout)
	case p.TCPSocket != nil:
		port, err := resolvePort(p.TCPSocket.Port, c)
		if err != nil {
			return unknown, "", err
		}
		host := p.TCPSocket.Host
		if host == "" {
			host = podIP
		}
		return tcpProbe(ctx, net.JoinHostPort(host, strconv.Itoa(port)), timeout)
	case p.GRPC != nil:
		service := ""
		if p.GRPC.Service != nil {
			service = *p.GRPC.Service
		}
		return grpcProbe(ctx, podIP, service, int(p.GRPC.Port), timeout)
	}
	return unknown, "", fmt.Errorf("missing probe handler for container %s", c.Name)
}

// execResult is a command's exit code and combined output.
type execResult struct {
	code   int
	output []byte
	stderr []byte
}

// exec runs cmd in the container; timeout 0 means none. containerID may
// carry the pod status's "<runtime>://" prefix. A non-zero exit is a
// result, not an error; a timeout is errCommandTimedOut.
func (h *handlers) exec(ctx context.Context, containerID string, cmd []string, timeout time.Duration) (execResult, error) {
	if h.runner == nil {
		return execResult{}, errors.New("this node's runtime cannot run commands in containers")
	}
	if i := strings.Index(containerID, "://"); i >= 0 {
		containerID = containerID[i+3:]
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		// A little longer than the runtime's own timeout, so that the
		// runtime's answer (exit code, output) wins when it has one.
		ctx, cancel = context.WithTimeout(ctx, timeout+2*time.Second)
		defer cancel()
	}
	stdout, stderr, err := h.runner.ExecSync(ctx, containerID, cmd, timeout)
	res := execResult{output: append(append([]byte{}, stdout...), stderr...), stderr: stderr}
	var exit exitStatus
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitStatus()
		err = nil
	case errors.Is(err, context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded:
		err = fmt.Errorf("%w: %q timed out after %s", errCommandTimedOut, strings.Join(cmd, " "), timeout)
	}
	return res, err
}

var errCommandTimedOut = errors.New("command timed out")

func (h *handlers) execProbe(ctx context.Context, cmd []string, containerID string, timeout time.Duration) (outcome, string, error) {
	res, err := h.exec(ctx, containerID, cmd, timeout)
	if errors.Is(err, errCommandTimedOut) {
		return failure, err.Error(), nil
	}
	if err != nil {
		return unknown, "", err
	}
	out := res.output
	if len(out) > maxOutput {
		out = out[:maxOutput]
	}
	if res.code != 0 {
		return failure, string(out), nil
	}
	return success, string(out), nil
}

// httpRequest builds the GET the kubelet sends for an httpGet action:
// host defaults to the pod IP, port by number or container port name,
// User-Agent kube-<purpose>/<major.minor> and Accept */* unless the
// action's headers say otherwise, a Host header becomes the request's
// host.
func httpRequest(ctx context.Context, a *corev1.HTTPGetAction, c *corev1.Container, podIP, purpose string) (*http.Request, error) {
	scheme := strings.ToLower(string(a.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	host := a.Host
	if host == "" {
		host = podIP
	}
	if host == "" {
		return nil, errors.New("pod has no IP address yet")
	}
	port, err := resolvePort(a.Port, c)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(a.Path)
	if err != nil {
		u = &url.URL{Path: a.Path}
	}
	u.Scheme, u.Host = scheme, net.JoinHostPort(host, strconv.Itoa(port))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	headers := http.Header{}
	for _, hd := range a.HTTPHeaders {
		headers.Add(hd.Name, hd.Value)
	}
	if _, ok := headers["User-Agent"]; !ok {
		headers.Set("User-Agent", userAgent(purpose))
	}
	if _, ok := headers["Accept"]; !ok {
		headers.Set("Accept", "*/*")
	} else if headers.Get("Accept") == "" {
		headers.Del("Accept")
	}
	req.Header = headers
	req.Host = headers.Get("Host")
	return req, nil
}

// redirects follows redirects to the same host (up to 10) and stops at
// the first to another host, whose 3xx answer then counts as success
// with a warning: the kubelet never sends probes off the pod.
func redirects(req *http.Request, via []*http.Request) error {
	if req.URL.Hostname() != via[0].URL.Hostname() {
		return http.ErrUseLastResponse
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

func (h *handlers) httpProbe(req *http.Request, timeout time.Duration) (outcome, string, error) {
	client := &http.Client{Timeout: timeout, Transport: h.transport, CheckRedirect: redirects}
	res, err := client.Do(req)
	if err != nil {
		return failure, err.Error(), nil
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxOutput))
	if err != nil {
		return failure, "", err
	}
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return success, string(b), nil
	case res.StatusCode >= 300 && res.StatusCode < 400:
		return warning, fmt.Sprintf("Probe terminated redirects, Response body: %v", string(b)), nil
	}
	return failure, fmt.Sprintf("HTTP probe failed with statuscode: %d", res.StatusCode), nil
}

func tcpProbe(ctx context.Context, addr string, timeout time.Duration) (outcome, string, error) {
	d := dialer()
	d.Timeout = timeout
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return failure, err.Error(), nil
	}
	_ = conn.Close()
	return success, "", nil
}

// grpcProbe asks grpc.health.v1.Health/Check for service; only SERVING
// passes.
func grpcProbe(ctx context.Context, host, service string, port int, timeout time.Duration) (outcome, string, error) {
	if host == "" {
		return unknown, "", errors.New("pod has no IP address yet")
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := grpc.NewClient("passthrough:///"+addr,
		grpc.WithUserAgent(userAgent("probe")),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) {
			return dialer().DialContext(ctx, "tcp", a)
		}))
	if err != nil {
		return failure, fmt.Sprintf("error: failed to connect service at %q: %+v", addr, err), nil
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		st, _ := status.FromError(err)
		switch st.Code() {
		case codes.Unimplemented:
			return failure, fmt.Sprintf("error: this server does not implement the grpc health protocol (grpc.health.v1.Health): %s", st.Message()), nil
		case codes.DeadlineExceeded:
			return failure, fmt.Sprintf("timeout: health rpc did not complete within %v", timeout), nil
		case codes.Unavailable:
			return failure, fmt.Sprintf("error: failed to connect service at %q: %s", addr, st.Message()), nil
		}
		return failure, fmt.Sprintf("error: health rpc probe failed: %+v", err), nil
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return failure, fmt.Sprintf("service unhealthy (responded with %q)", resp.GetStatus().String()), nil
	}
	return success, "service healthy", nil
}

// resolvePort turns a port number or a container port's name into a
// number.
func resolvePort(p intstr.IntOrString, c *corev1.Container) (int, error) {
	port := -1
	switch p.Type {
	case intstr.Int:
		port = p.IntValue()
	case intstr.String:
		found := false
		for _, cp := range c.Ports {
			if cp.Name == p.StrVal {
				port, found = int(cp.ContainerPort), true
			}
		}
		if !found {
			return 0, fmt.Errorf("port %q not found", p.StrVal)
		}
	}
	if port <= 0 || port > 65535 {
		return port, fmt.Errorf("invalid port number: %v", port)
	}
	return port, nil
}

// expandCommand expands $(VAR) in cmd from the container's literal env
// values (an exec probe sees neither the downward API nor referenced
// values, as in the kubelet); $$ is a literal $, an unknown $(VAR) stays.
func expandCommand(cmd []string, env []corev1.EnvVar) []string {
	vars := map[string]string{}
	for _, e := range env {
		if e.ValueFrom == nil {
			vars[e.Name] = e.Value
		}
	}
	out := make([]string, len(cmd))
	for i, arg := range cmd {
		out[i] = expand(arg, vars)
	}
	return out
}

func expand(s string, vars map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := vars[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}
