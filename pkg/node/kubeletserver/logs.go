package kubeletserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/pkg/node/crilog"
)

// logOptions parses /containerLogs' query as the kubelet does
// (PodLogOptions' parameter names).
func logOptions(r *http.Request, now time.Time) (opts crilog.Options, previous bool, err error) {
	q := r.URL.Query()
	opts = crilog.Options{Tail: -1, Follow: truthy(q.Get("follow")), Timestamps: truthy(q.Get("timestamps"))}
	previous = truthy(q.Get("previous"))
	if v := q.Get("tailLines"); v != "" {
		if opts.Tail, err = strconv.ParseInt(v, 10, 64); err != nil || opts.Tail < 0 {
			return opts, false, errorf(http.StatusBadRequest, "tailLines %q: must be a non-negative integer", v)
		}
	}
	if v := q.Get("limitBytes"); v != "" {
		if opts.LimitBytes, err = strconv.ParseInt(v, 10, 64); err != nil || opts.LimitBytes < 1 {
			return opts, false, errorf(http.StatusBadRequest, "limitBytes %q: must be a positive integer", v)
		}
	}
	switch v := q.Get("stream"); v {
	case "", "All":
	case "Stdout":
		opts.Stream = crilog.Stdout
	case "Stderr":
		opts.Stream = crilog.Stderr
	default:
		return opts, false, errorf(http.StatusBadRequest, "stream %q: must be All, Stdout or Stderr", v)
	}
	sinceSeconds, sinceTime := q.Get("sinceSeconds"), q.Get("sinceTime")
	if sinceSeconds != "" && sinceTime != "" {
		return opts, false, errorf(http.StatusBadRequest, "at most one of sinceTime or sinceSeconds may be specified")
	}
	if sinceSeconds != "" {
		n, err := strconv.ParseInt(sinceSeconds, 10, 64)
		if err != nil || n < 1 {
			return opts, false, errorf(http.StatusBadRequest, "sinceSeconds %q: must be a positive integer", sinceSeconds)
		}
		opts.Since = now.Add(-time.Duration(n) * time.Second)
	}
	if sinceTime != "" {
		if opts.Since, err = time.Parse(time.RFC3339, sinceTime); err != nil {
			return opts, false, errorf(http.StatusBadRequest, "sinceTime %q: %v", sinceTime, err)
		}
	}
	return opts, previous, nil
}

func (s *Server) serveLogs(w http.ResponseWriter, r *http.Request) {
	ns, podName, name := r.PathValue("ns"), r.PathValue("pod"), r.PathValue("container")
	opts, previous, err := logOptions(r, time.Now())
	if err != nil {
		writeError(w, err)
		return
	}
	path, id, err := s.logFile(r.Context(), ns, podName, name, previous)
	if err != nil {
		writeError(w, err)
		return
	}
	if previous {
		opts.Follow = false // a previous attempt writes no more
	}
	opts.Running = func() bool {
		st, err := s.cfg.Runtime.ContainerStatus(r.Context(), id, false)
		return err == nil && st.GetStatus().GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	out := &flushWriter{w: w}
	out.flusher, _ = w.(http.Flusher)
	err = crilog.Copy(r.Context(), path, opts, out)
	if errors.Is(err, os.ErrNotExist) {
		// The runtime removed the file (or never wrote one): an empty
		// log, as the kubelet shows it.
		return
	}
	if err != nil && r.Context().Err() == nil {
		s.cfg.Logger.Warn("copying container log", "pod", ns+"/"+podName, "container", name, "err", err)
	}
}

// logFile returns the CRI log path of the pod's container (its previous
// attempt if previous) and the container's ID.
func (s *Server) logFile(ctx context.Context, ns, podName, name string, previous bool) (path, id string, err error) {
	pod, err := s.pod(ns, podName, "")
	if err != nil {
		return "", "", err
	}
	if !hasContainer(pod, name) {
		return "", "", errorf(http.StatusBadRequest, "container %s is not valid for pod %s", name, podName)
	}
	cs, err := s.containers(ctx, pod, name)
	if err != nil {
		return "", "", err
	}
	if len(cs) == 0 {
		reason := waitingReason(pod, name)
		if reason == "" {
			reason = "ContainerCreating"
		}
		return "", "", errorf(http.StatusBadRequest, "container %q in pod %q is waiting to start: %s", name, podName, reason)
	}
	pick := 0
	if previous {
		pick = 1
	}
	if pick < len(cs) {
		st, err := s.cfg.Runtime.ContainerStatus(ctx, cs[pick].Id, false)
		if err != nil {
			return "", "", err
		}
		if st.GetStatus().GetLogPath() == "" {
			return "", "", errorf(http.StatusBadRequest, "container %q in pod %q has no log file", name, podName)
		}
		return st.GetStatus().GetLogPath(), cs[pick].Id, nil
	}
	// The previous attempt's container is gone from the runtime; its
	// file may remain next to the current one's, as the kubelet names
	// them: <dir>/<attempt>.log.
	st, err := s.cfg.Runtime.ContainerStatus(ctx, cs[0].Id, false)
	if err != nil {
		return "", "", err
	}
	cur, attempt := st.GetStatus().GetLogPath(), cs[0].GetMetadata().GetAttempt()
	if attempt > 0 && strings.HasSuffix(cur, fmt.Sprintf("%d.log", attempt)) {
		prev := filepath.Join(filepath.Dir(cur), fmt.Sprintf("%d.log", attempt-1))
		if _, err := os.Stat(prev); err == nil {
			return prev, cs[0].Id, nil
		}
	}
	return "", "", errorf(http.StatusBadRequest, "previous terminated container %q in pod %q not found", name, podName)
}

// flushWriter flushes after every write, so that a follow streams.
type flushWriter struct {
	w       http.ResponseWriter
	flusher http.Flusher
}

func (f *flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if f.flusher != nil {
		f.flusher.Flush()
	}
	return n, err
}
