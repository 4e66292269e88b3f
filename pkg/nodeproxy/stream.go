package nodeproxy

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// execOptions parses PodExecOptions / PodAttachOptions from the query:
// the container, the command (exec only), and the streams, as the
// kubelet's query ("1" for a stream that is on).
func execOptions(q url.Values, exec bool) (container string, kubelet url.Values, streams streamFlags, err error) {
	kubelet = url.Values{}
	for _, key := range []string{"stdin", "stdout", "stderr", "tty"} {
		v := q.Get(key)
		if v == "" {
			continue
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return "", nil, streams, apierrors.NewBadRequest(fmt.Sprintf("%s: invalid boolean %q", key, v))
		}
		if b {
			kubelet.Set(key, "1")
		}
	}
	streams = streamFlags{stdin: kubelet.Has("stdin"), stdout: kubelet.Has("stdout"), stderr: kubelet.Has("stderr"), tty: kubelet.Has("tty")}
	if !streams.stdin && !streams.stdout && !streams.stderr {
		return "", nil, streams, apierrors.NewBadRequest("you must specify at least 1 of stdin, stdout, stderr")
	}
	if streams.tty && streams.stderr {
		// A terminal merges stderr into stdout.
		streams.stderr = false
		kubelet.Del("stderr")
	}
	if exec {
		cmd := q["command"]
		if len(cmd) == 0 {
			return "", nil, streams, apierrors.NewBadRequest("you must specify at least one command for the container")
		}
		kubelet["command"] = cmd
	}
	return q.Get("container"), kubelet, streams, nil
}

// streamFlags are the streams an exec or attach asked for.
type streamFlags struct {
	stdin, stdout, stderr, tty bool
}

func (p *Proxy) serveExec(w http.ResponseWriter, r *http.Request, ns, name, _ string) error {
	return p.serveRemoteCommand(w, r, ns, name, "exec")
}

func (p *Proxy) serveAttach(w http.ResponseWriter, r *http.Request, ns, name, _ string) error {
	return p.serveRemoteCommand(w, r, ns, name, "attach")
}

// isWebSocket reports a WebSocket upgrade request.
func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// isUpgrade reports any upgrade request (SPDY or WebSocket).
func isUpgrade(r *http.Request) bool {
	for _, v := range r.Header.Values("Connection") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return r.Header.Get("Upgrade") != ""
			}
		}
	}
	return false
}

func (p *Proxy) serveRemoteCommand(w http.ResponseWriter, r *http.Request, ns, name, verb string) error {
	c, query, streams, err := execOptions(r.URL.Query(), verb == "exec")
	if err != nil {
		return err
	}
	if !isUpgrade(r) {
		return apierrors.NewBadRequest("Upgrade request required")
	}
	pod, err := p.pod(r.Context(), ns, name)
	if err != nil {
		return err
	}
	if c, err = container(pod, c); err != nil {
		return err
	}
	if sim, err := p.simulated(r.Context(), pod.Spec.NodeName); err != nil {
		return err
	} else if sim {
		return refuseSimulated("pods/"+verb, fmt.Sprintf("container %q of pod %q", c, name), pod.Spec.NodeName)
	}
	addr, err := p.podNode(r.Context(), pod)
	if err != nil {
		return err
	}
	target := &url.URL{Scheme: "https", Host: addr, Path: fmt.Sprintf("/%s/%s/%s/%s", verb, ns, name, c), RawQuery: query.Encode()}
	if isWebSocket(r) {
		return p.translate(w, r, target, streams)
	}
	p.reverseProxy(w, r, target, p.kubelet, podsResource, name)
	return nil
}

func (p *Proxy) servePortForward(w http.ResponseWriter, r *http.Request, ns, name, _ string) error {
	q := url.Values{}
	for _, port := range r.URL.Query()["ports"] {
		for _, s := range strings.Split(port, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
			if err != nil || n == 0 {
				return apierrors.NewBadRequest(fmt.Sprintf("port %q is not a valid port number", s))
			}
			q.Add("port", strconv.FormatUint(n, 10))
		}
	}
	if !isUpgrade(r) {
		return apierrors.NewBadRequest("Upgrade request required")
	}
	pod, err := p.pod(r.Context(), ns, name)
	if err != nil {
		return err
	}
	if sim, err := p.simulated(r.Context(), pod.Spec.NodeName); err != nil {
		return err
	} else if sim {
		return refuseSimulated("pods/portforward", fmt.Sprintf("pod %q", name), pod.Spec.NodeName)
	}
	addr, err := p.podNode(r.Context(), pod)
	if err != nil {
		return err
	}
	target := &url.URL{Scheme: "https", Host: addr, Path: fmt.Sprintf("/portForward/%s/%s", ns, name), RawQuery: q.Encode()}
	if isWebSocket(r) {
		return p.tunnel(w, r, target)
	}
	p.reverseProxy(w, r, target, p.kubelet, podsResource, name)
	return nil
}
