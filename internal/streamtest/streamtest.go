package streamtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/streaming/pkg/httpstream"
	"k8s.io/streaming/pkg/httpstream/spdy"
)

// Runtime is an in-memory CRI runtime with a stream server.
type Runtime struct {
	mu         sync.Mutex
	containers []*runtimeapi.Container
	logPaths   map[string]string
	sandboxes  []*runtimeapi.PodSandbox
	pending    map[string]request // stream token -> request
	next       int
	server     *httptest.Server
	// ForwardAddr returns where a port-forward to port goes (default
	// 127.0.0.1:port).
	ForwardAddr func(port int32) string
}

type request struct {
	kind               string // exec, attach, portforward
	cmd                []string
	stdin, stdout, tty bool
	stderr             bool
}

// New starts the stream server, stopped when the test ends.
func New(t testing.TB) *Runtime {
	r := &Runtime{logPaths: map[string]string{}, pending: map[string]request{},
		ForwardAddr: func(port int32) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))) }}
	r.server = httptest.NewServer(http.HandlerFunc(r.serveStream))
	t.Cleanup(r.server.Close)
	return r
}

// AddSandbox records a ready sandbox for pod.
func (r *Runtime) AddSandbox(pod *corev1.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	r.sandboxes = append(r.sandboxes, &runtimeapi.PodSandbox{Id: "sandbox-" + strconv.Itoa(r.next), State: runtimeapi.PodSandboxState_SANDBOX_READY,
		Metadata: &runtimeapi.PodSandboxMetadata{Name: pod.Name, Namespace: pod.Namespace, Uid: string(pod.UID)},
		Labels:   podLabels(pod)})
}

// AddContainer records attempt of the pod's container name, logging to
// logPath, and returns its ID.
func (r *Runtime) AddContainer(pod *corev1.Pod, name string, attempt uint32, logPath string, running bool) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	id := "container-" + strconv.Itoa(r.next)
	state := runtimeapi.ContainerState_CONTAINER_EXITED
	if running {
		state = runtimeapi.ContainerState_CONTAINER_RUNNING
	}
	lbls := podLabels(pod)
	lbls["io.kubernetes.container.name"] = name
	r.containers = append(r.containers, &runtimeapi.Container{Id: id, State: state, CreatedAt: int64(r.next),
		Metadata: &runtimeapi.ContainerMetadata{Name: name, Attempt: attempt}, Labels: lbls})
	r.logPaths[id] = logPath
	return id
}

// SetRunning changes a container's state.
func (r *Runtime) SetRunning(id string, running bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.containers {
		if c.Id == id {
			c.State = runtimeapi.ContainerState_CONTAINER_EXITED
			if running {
				c.State = runtimeapi.ContainerState_CONTAINER_RUNNING
			}
		}
	}
}

func podLabels(pod *corev1.Pod) map[string]string {
	return map[string]string{"io.kubernetes.pod.name": pod.Name, "io.kubernetes.pod.namespace": pod.Namespace, "io.kubernetes.pod.uid": string(pod.UID)}
}

func matches(labels, selector map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// ListPodSandbox implements the CRI call (label selector and state).
func (r *Runtime) ListPodSandbox(_ context.Context, f *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*runtimeapi.PodSandbox
	for _, s := range r.sandboxes {
		if matches(s.Labels, f.GetLabelSelector()) && (f.GetState() == nil || f.GetState().State == s.State) {
			out = append(out, s)
		}
	}
	return out, nil
}

// ListContainers implements the CRI call (label selector).
func (r *Runtime) ListContainers(_ context.Context, f *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*runtimeapi.Container
	for _, c := range r.containers {
		if matches(c.Labels, f.GetLabelSelector()) {
			out = append(out, proto.Clone(c).(*runtimeapi.Container))
		}
	}
	return out, nil
}

// ContainerStatus implements the CRI call: state and log path.
func (r *Runtime) ContainerStatus(_ context.Context, id string, _ bool) (*runtimeapi.ContainerStatusResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.containers {
		if c.Id == id {
			return &runtimeapi.ContainerStatusResponse{Status: &runtimeapi.ContainerStatus{Id: id, State: c.State, Metadata: c.Metadata, LogPath: r.logPaths[id]}}, nil
		}
	}
	return nil, fmt.Errorf("container %q not found", id)
}

// ExecSync runs a command as exec does, without stdin.
func (r *Runtime) ExecSync(_ context.Context, _ string, cmd []string, _ time.Duration) ([]byte, []byte, error) {
	var out strings.Builder
	code := run(cmd, strings.NewReader(""), &out)
	if code != 0 {
		return []byte(out.String()), nil, fmt.Errorf("command %v exited with %d", cmd, code)
	}
	return []byte(out.String()), nil, nil
}

func (r *Runtime) token(req request) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	tok := "tok" + strconv.Itoa(r.next)
	r.pending[tok] = req
	return r.server.URL + "/" + req.kind + "/" + tok
}

// Exec implements the CRI call: a one-use URL of the stream server.
func (r *Runtime) Exec(_ context.Context, req *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error) {
	return &runtimeapi.ExecResponse{Url: r.token(request{kind: "exec", cmd: req.Cmd, stdin: req.Stdin, stdout: req.Stdout, stderr: req.Stderr, tty: req.Tty})}, nil
}

// Attach implements the CRI call.
func (r *Runtime) Attach(_ context.Context, req *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error) {
	return &runtimeapi.AttachResponse{Url: r.token(request{kind: "attach", cmd: []string{"cat"}, stdin: req.Stdin, stdout: req.Stdout, stderr: req.Stderr, tty: req.Tty})}, nil
}

// PortForward implements the CRI call.
func (r *Runtime) PortForward(_ context.Context, _ *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error) {
	return &runtimeapi.PortForwardResponse{Url: r.token(request{kind: "portforward"})}, nil
}

// run runs one of the few commands the stand-in knows and returns its
// exit code.
func run(cmd []string, stdin io.Reader, stdout io.Writer) int {
	if len(cmd) == 0 {
		return 127
	}
	switch cmd[0] {
	case "cat":
		_, _ = io.Copy(stdout, stdin)
		return 0
	case "echo":
		_, _ = fmt.Fprintln(stdout, strings.Join(cmd[1:], " "))
		return 0
	case "exit":
		if len(cmd) > 1 {
			n, _ := strconv.Atoi(cmd[1])
			return n
		}
		return 0
	}
	_, _ = fmt.Fprintf(stdout, "%s: not found\n", cmd[0])
	return 127
}

func (r *Runtime) serveStream(w http.ResponseWriter, req *http.Request) {
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	if len(parts) != 2 {
		http.NotFound(w, req)
		return
	}
	r.mu.Lock()
	sr, ok := r.pending[parts[1]]
	delete(r.pending, parts[1])
	r.mu.Unlock()
	if !ok || sr.kind != parts[0] {
		http.Error(w, "unknown or used stream token", http.StatusNotFound)
		return
	}
	if sr.kind == "portforward" {
		r.servePortForward(w, req)
		return
	}
	conn, streams := upgrade(w, req, "v4.channel.k8s.io")
	if conn == nil {
		return
	}
	defer conn.Close()
	want := 1 // error
	for _, b := range []bool{sr.stdin, sr.stdout, sr.stderr && !sr.tty, sr.tty} {
		if b {
			want++
		}
	}
	byType := map[string]httpstream.Stream{}
	timeout := time.After(30 * time.Second)
	for len(byType) < want {
		select {
		case s := <-streams:
			byType[s.Headers().Get("streamType")] = s
		case <-timeout:
			return
		}
	}
	var stdin io.Reader = strings.NewReader("")
	if s := byType["stdin"]; s != nil {
		stdin = s
	}
	var stdout io.Writer = io.Discard
	if s := byType["stdout"]; s != nil {
		stdout = s
	}
	code := run(sr.cmd, stdin, stdout)
	if s := byType["stdout"]; s != nil {
		s.Close()
	}
	if s := byType["stderr"]; s != nil {
		s.Close()
	}
	status := map[string]any{"metadata": map[string]any{}, "status": "Success"}
	if code != 0 {
		status = map[string]any{"metadata": map[string]any{}, "status": "Failure", "reason": "NonZeroExitCode",
			"message": fmt.Sprintf("command terminated with non-zero exit code: exit status %d", code),
			"details": map[string]any{"causes": []map[string]any{{"reason": "ExitCode", "message": strconv.Itoa(code)}}}}
	}
	b, _ := json.Marshal(status)
	if s := byType["error"]; s != nil {
		_, _ = s.Write(b)
		s.Close()
	}
}

// upgrade negotiates protocol and upgrades req to SPDY; the streams the
// client opens arrive on streams. A nil conn: the request was answered
// (no common protocol, or no upgrade).
func upgrade(w http.ResponseWriter, req *http.Request, protocol string) (httpstream.Connection, <-chan httpstream.Stream) {
	if _, err := httpstream.Handshake(req, w, []string{protocol}); err != nil {
		return nil, nil // Handshake answered
	}
	streams := make(chan httpstream.Stream, 8)
	conn := spdy.NewResponseUpgrader().UpgradeResponse(w, req, func(s httpstream.Stream, _ <-chan struct{}) error {
		streams <- s
		return nil
	})
	return conn, streams
}

// servePortForward serves portforward.k8s.io: each data stream is
// connected to ForwardAddr(port).
func (r *Runtime) servePortForward(w http.ResponseWriter, req *http.Request) {
	conn, streams := upgrade(w, req, "portforward.k8s.io")
	if conn == nil {
		return
	}
	defer conn.Close()
	for {
		select {
		case <-conn.CloseChan():
			return
		case s := <-streams:
			if s.Headers().Get("streamType") != "data" {
				continue // error streams stay empty: no error
			}
			port, _ := strconv.Atoi(s.Headers().Get("port"))
			go func() {
				defer s.Close()
				c, err := net.Dial("tcp", r.ForwardAddr(int32(port)))
				if err != nil {
					return
				}
				defer c.Close()
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(c, s); done <- struct{}{} }()
				go func() { _, _ = io.Copy(s, c); done <- struct{}{} }()
				<-done
			}()
		}
	}
}
