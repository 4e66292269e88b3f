package kubeletserver

import (
	"context"
	"errors"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// streamOptions are the stdin, stdout, stderr and tty query parameters.
type streamOptions struct {
	stdin, stdout, stderr, tty bool
}

func parseStreamOptions(r *http.Request) (streamOptions, error) {
	q := r.URL.Query()
	o := streamOptions{stdin: truthy(q.Get("stdin")), stdout: truthy(q.Get("stdout")),
		stderr: truthy(q.Get("stderr")), tty: truthy(q.Get("tty"))}
	if !o.stdin && !o.stdout && !o.stderr {
		return o, errorf(http.StatusBadRequest, "you must specify at least 1 of stdin, stdout, stderr")
	}
	if o.tty {
		// A terminal merges stderr into stdout.
		o.stderr = false
	}
	return o, nil
}

func (s *Server) serveExec(w http.ResponseWriter, r *http.Request) {
	o, err := parseStreamOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	cmd := r.URL.Query()["command"]
	if len(cmd) == 0 {
		writeError(w, errorf(http.StatusBadRequest, "you must specify a command"))
		return
	}
	id, err := s.runningContainer(r.Context(), r.PathValue("ns"), r.PathValue("pod"), r.PathValue("uid"), r.PathValue("container"))
	if err != nil {
		writeError(w, err)
		return
	}
	resp, err := s.cfg.Runtime.Exec(r.Context(), &runtimeapi.ExecRequest{ContainerId: id, Cmd: cmd,
		Tty: o.tty, Stdin: o.stdin, Stdout: o.stdout, Stderr: o.stderr})
	if err != nil {
		writeError(w, err)
		return
	}
	s.proxyStream(w, r, resp.GetUrl())
}

func (s *Server) serveAttach(w http.ResponseWriter, r *http.Request) {
	o, err := parseStreamOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	id, err := s.runningContainer(r.Context(), r.PathValue("ns"), r.PathValue("pod"), r.PathValue("uid"), r.PathValue("container"))
	if err != nil {
		writeError(w, err)
		return
	}
	resp, err := s.cfg.Runtime.Attach(r.Context(), &runtimeapi.AttachRequest{ContainerId: id,
		Tty: o.tty, Stdin: o.stdin, Stdout: o.stdout, Stderr: o.stderr})
	if err != nil {
		writeError(w, err)
		return
	}
	s.proxyStream(w, r, resp.GetUrl())
}

func (s *Server) servePortForward(w http.ResponseWriter, r *http.Request) {
	id, err := s.sandbox(r.Context(), r.PathValue("ns"), r.PathValue("pod"), r.PathValue("uid"))
	if err != nil {
		writeError(w, err)
		return
	}
	// The ports travel in the stream's headers; the runtime takes any.
	resp, err := s.cfg.Runtime.PortForward(r.Context(), &runtimeapi.PortForwardRequest{PodSandboxId: id})
	if err != nil {
		writeError(w, err)
		return
	}
	s.proxyStream(w, r, resp.GetUrl())
}

// proxyStream hands the (upgrade) request to the runtime's streaming
// endpoint and relays the upgraded connection both ways.
func (s *Server) proxyStream(w http.ResponseWriter, r *http.Request, rawURL string) {
	target, err := url.Parse(rawURL)
	if err != nil || !target.IsAbs() {
		writeError(w, errorf(http.StatusInternalServerError, "runtime returned a bad streaming URL %q", rawURL))
		return
	}
	p := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			u := *target
			pr.Out.URL, pr.Out.Host = &u, target.Host
		},
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			s.cfg.Logger.Warn("proxying to the runtime's stream server", "url", rawURL, "err", err)
			http.Error(w, "error reaching the runtime's stream server: "+err.Error(), http.StatusBadGateway)
		},
	}
	p.ServeHTTP(w, r)
}

// serveRun runs ?cmd= in the container and answers its output (stdout
// then stderr), as the kubelet's /run.
func (s *Server) serveRun(w http.ResponseWriter, r *http.Request) {
	cmd := strings.Fields(r.URL.Query().Get("cmd"))
	if len(cmd) == 0 {
		writeError(w, errorf(http.StatusBadRequest, "you must specify a command (?cmd=)"))
		return
	}
	id, err := s.runningContainer(r.Context(), r.PathValue("ns"), r.PathValue("pod"), r.PathValue("uid"), r.PathValue("container"))
	if err != nil {
		writeError(w, err)
		return
	}
	stdout, stderr, err := s.cfg.Runtime.ExecSync(r.Context(), id, cmd, time.Minute)
	if err != nil {
		writeError(w, errorf(http.StatusInternalServerError, "%v: %s%s", err, stdout, stderr))
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write(append(stdout, stderr...))
}
