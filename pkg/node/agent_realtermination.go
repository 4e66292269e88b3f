package node

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/pkg/node/crilog"
)

// Termination messages, as the kubelet handles them: each container of a
// real pod gets a file of its own (DATA-DIR/pods/<uid>/containers/<name>/
// <attempt>, world-writable so that any user may write it) mounted at its
// terminationMessagePath; when the container has exited, the file (up to
// 4 KiB) is its state.terminated.message. With the policy
// FallbackToLogsOnError, a container that failed with an empty file gets
// the end of its log instead (the last 80 lines, at most 2 KiB).
const (
	maxTerminationMessage     = 4096
	maxTerminationLogLines    = 80
	maxTerminationLogFallback = 2048
)

// terminationMessageMount creates container c's termination message file
// for this attempt and returns its mount, or nil when c has no
// terminationMessagePath or the node keeps no pod directories.
func (a *Agent) terminationMessageMount(pod *corev1.Pod, c *corev1.Container, attempt uint32, rec *podRecord) (*runtimeapi.Mount, error) {
	if c.TerminationMessagePath == "" || rec.node.volumes == nil {
		return nil, nil
	}
	dir := filepath.Join(rec.node.volumes.PodDir(pod.UID), "containers", c.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("termination message file: %w", err)
	}
	path := filepath.Join(dir, fmt.Sprint(attempt))
	f, err := os.Create(path) // empty: an earlier try's content must not leak in
	if err != nil {
		return nil, fmt.Errorf("termination message file: %w", err)
	}
	f.Close()
	if err := os.Chmod(path, 0o666); err != nil {
		return nil, fmt.Errorf("termination message file: %w", err)
	}
	return &runtimeapi.Mount{ContainerPath: c.TerminationMessagePath, HostPath: path}, nil
}

// terminationMessage is the message of exited container c (status st):
// its termination message file, found through the container's mounts,
// or the end of its log (FallbackToLogsOnError, failed, empty file).
// Simulated containers have neither: "".
func terminationMessage(c *corev1.Container, st *runtimeapi.ContainerStatus) string {
	if c == nil || c.TerminationMessagePath == "" {
		return ""
	}
	var msg []byte
	for _, m := range st.GetMounts() {
		if m.GetContainerPath() != c.TerminationMessagePath || m.GetHostPath() == "" {
			continue
		}
		if f, err := os.Open(m.GetHostPath()); err == nil {
			msg, _ = io.ReadAll(io.LimitReader(f, maxTerminationMessage))
			f.Close()
		}
		break
	}
	if len(msg) == 0 && c.TerminationMessagePolicy == corev1.TerminationMessageFallbackToLogsOnError &&
		st.GetExitCode() != 0 && st.GetLogPath() != "" {
		var buf bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = crilog.Copy(ctx, st.GetLogPath(), crilog.Options{Tail: maxTerminationLogLines, LimitBytes: maxTerminationLogFallback}, &buf)
		msg = buf.Bytes()
	}
	return string(msg)
}
