package kubeletserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	statsapi "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
)

// Runtime is what the server needs from the container runtime: CRI
// RuntimeService calls with the signatures of k8s.io/cri-api's
// RuntimeService, so that the node's CRI client satisfies it as is.
// Implementations must be safe for concurrent use.
type Runtime interface {
	ListPodSandbox(ctx context.Context, filter *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error)
	ListContainers(ctx context.Context, filter *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error)
	ContainerStatus(ctx context.Context, containerID string, verbose bool) (*runtimeapi.ContainerStatusResponse, error)
	// ExecSync runs cmd in the container and returns its output; a
	// non-zero exit is an error.
	ExecSync(ctx context.Context, containerID string, cmd []string, timeout time.Duration) (stdout []byte, stderr []byte, err error)
	// Exec, Attach and PortForward return the URL of a streaming
	// endpoint that serves the request once.
	Exec(ctx context.Context, req *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error)
	Attach(ctx context.Context, req *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error)
	PortForward(ctx context.Context, req *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error)
}

// Config configures a Server.
type Config struct {
	// Runtime reaches the node's containers.
	Runtime Runtime
	// Pods returns the pods bound to the node, as the agent sees them
	// (from its informer; the caller must not modify them).
	Pods func() []*corev1.Pod
	// Cert is the serving certificate (signed by the cluster CA, with
	// the node's addresses as SANs).
	Cert tls.Certificate
	// ClientCAs verify client certificates: the cluster CA.
	ClientCAs *x509.CertPool
	// ClientGroup: a client certificate is authorized if its subject
	// organizations include it (default "system:masters", the API
	// server's kubelet-client certificate's group); ClientUsers are
	// authorized by common name.
	ClientGroup string
	ClientUsers []string
	// Stats builds /stats/summary (pkg/node/stats); nil: 501.
	Stats  StatsProvider
	Logger *slog.Logger
}

// StatsProvider builds the node's stats summary; pkg/node/stats's
// Provider is one.
type StatsProvider interface {
	Summary(ctx context.Context) (*statsapi.Summary, error)
}

// Server serves the kubelet API.
type Server struct {
	cfg     Config
	handler http.Handler
	http    *http.Server
	// cert is the serving certificate handshakes use (SetCert).
	cert atomic.Pointer[tls.Certificate]
}

// SetCert replaces the serving certificate; new connections use it (a
// joined node swaps its self-signed one for the one the cluster CA
// issues).
func (s *Server) SetCert(c tls.Certificate) { s.cert.Store(&c) }

// New builds a server; Serve or Handler serve it.
func New(cfg Config) (*Server, error) {
	if cfg.Runtime == nil || cfg.Pods == nil {
		return nil, errors.New("kubeletserver: Runtime and Pods are required")
	}
	if cfg.ClientCAs == nil {
		return nil, errors.New("kubeletserver: ClientCAs is required")
	}
	if cfg.ClientGroup == "" {
		cfg.ClientGroup = "system:masters"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg}
	s.cert.Store(&cfg.Cert)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("GET /pods", s.servePods)
	mux.HandleFunc("GET /pods/{$}", s.servePods)
	mux.HandleFunc("GET /containerLogs/{ns}/{pod}/{container}", s.serveLogs)
	for _, m := range []string{"GET", "POST"} {
		mux.HandleFunc(m+" /exec/{ns}/{pod}/{container}", s.serveExec)
		mux.HandleFunc(m+" /exec/{ns}/{pod}/{uid}/{container}", s.serveExec)
		mux.HandleFunc(m+" /attach/{ns}/{pod}/{container}", s.serveAttach)
		mux.HandleFunc(m+" /attach/{ns}/{pod}/{uid}/{container}", s.serveAttach)
		mux.HandleFunc(m+" /portForward/{ns}/{pod}", s.servePortForward)
		mux.HandleFunc(m+" /portForward/{ns}/{pod}/{uid}", s.servePortForward)
	}
	mux.HandleFunc("POST /run/{ns}/{pod}/{container}", s.serveRun)
	mux.HandleFunc("POST /run/{ns}/{pod}/{uid}/{container}", s.serveRun)
	mux.HandleFunc("GET /stats/summary", s.serveStatsSummary)
	mux.HandleFunc("GET /stats/summary/{$}", s.serveStatsSummary)
	s.handler = s.authorize(mux)
	return s, nil
}

// Handler is the API with client-certificate authorization; it expects
// a TLS connection whose client certificate was verified (TLSConfig).
func (s *Server) Handler() http.Handler { return s.handler }

// TLSConfig requires a client certificate signed by ClientCAs.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return s.cert.Load(), nil },
		ClientAuth:     tls.RequireAndVerifyClientCert,
		ClientCAs:      s.cfg.ClientCAs,
		MinVersion:     tls.VersionTLS12,
		// Upgrades (SPDY, WebSocket) need HTTP/1.1.
		NextProtos: []string{"http/1.1"},
	}
}

// Serve serves HTTPS on l until ctx ends.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.http = &http.Server{Handler: s.handler, ReadHeaderTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelDebug)}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.http.Shutdown(shut)
		_ = s.http.Close() // hijacked streams are not Shutdown's
	}()
	err := s.http.Serve(tls.NewListener(l, s.TLSConfig()))
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// authorize admits requests whose verified client certificate is in
// ClientGroup or ClientUsers; /healthz is open to any verified client.
func (s *Server) authorize(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
			http.Error(w, "Unauthorized: a client certificate signed by the cluster CA is required", http.StatusUnauthorized)
			return
		}
		subject := r.TLS.VerifiedChains[0][0].Subject
		if r.URL.Path != "/healthz" && !slices.Contains(subject.Organization, s.cfg.ClientGroup) && !slices.Contains(s.cfg.ClientUsers, subject.CommonName) {
			http.Error(w, fmt.Sprintf("Forbidden (user=%s, path=%s)", subject.CommonName, r.URL.Path), http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// statusError is an error with the HTTP status it answers.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

func errorf(code int, format string, args ...any) error {
	return &statusError{code: code, msg: fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, err error) {
	var se *statusError
	if errors.As(err, &se) {
		http.Error(w, se.msg, se.code)
		return
	}
	http.Error(w, err.Error(), http.StatusInternalServerError)
}

// truthy reads a boolean query parameter as the kubelet does.
func truthy(v string) bool {
	v = strings.ToLower(v)
	return v == "1" || v == "true"
}
