package prober

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/tinykube/tinykube/pkg/node/events"
)

// ErrPostStartHook is returned by RunPostStart when the hook failed;
// the kubelet reports the container as waiting with reason
// PostStartHookError and kills it.
var ErrPostStartHook = errors.New("PostStartHookError")

// RunHook runs a lifecycle handler for container c (ID containerID) of
// pod at podIP and returns the kubelet's failure message with the error:
//
//   - exec: the command through ExecSync, no timeout but ctx's; a
//     non-zero exit fails;
//   - httpGet: a GET (User-Agent kube-lifecycle/<major.minor>); only a
//     request that gets no answer fails, whatever the status code. An
//     https hook answered in plain HTTP is retried over http, as the
//     kubelet does (with a LifecycleHTTPFallback event);
//   - sleep: waits the seconds on the Manager's clock, failing if ctx
//     ends first.
func (m *Manager) RunHook(ctx context.Context, pod *corev1.Pod, c *corev1.Container, containerID, podIP string, h *corev1.LifecycleHandler) (string, error) {
	switch {
	case h == nil:
		return "", nil
	case h.Exec != nil:
		res, err := m.h.exec(ctx, containerID, h.Exec.Command, 0)
		if err == nil && res.code != 0 {
			err = fmt.Errorf("command '%s' exited with %d: %s", strings.Join(h.Exec.Command, " "), res.code, res.stderr)
		}
		if err != nil {
			return fmt.Sprintf("Exec lifecycle hook (%v) for Container %q in Pod %q failed - error: %v, message: %q",
				h.Exec.Command, c.Name, events.PodDesc(pod), err, string(res.output)), err
		}
		return "", nil
	case h.HTTPGet != nil:
		if err := m.httpHook(ctx, pod, c, podIP, h.HTTPGet); err != nil {
			return fmt.Sprintf("HTTP lifecycle hook (%s) for Container %q in Pod %q failed - error: %v",
				h.HTTPGet.Path, c.Name, events.PodDesc(pod), err), err
		}
		return "", nil
	case h.Sleep != nil:
		t := m.cfg.Clock.NewTimer(time.Duration(h.Sleep.Seconds) * time.Second)
		defer t.Stop()
		select {
		case <-ctx.Done():
			err := errors.New("container terminated before sleep hook finished")
			return fmt.Sprintf("Sleep lifecycle hook (%d) for Container %q in Pod %q failed - error: %v",
				h.Sleep.Seconds, c.Name, events.PodDesc(pod), err), err
		case <-t.C():
			return "", nil
		}
	}
	err := fmt.Errorf("invalid handler: %v", h)
	return fmt.Sprintf("Cannot run handler: %v", err), err
}

func (m *Manager) httpHook(ctx context.Context, pod *corev1.Pod, c *corev1.Container, podIP string, a *corev1.HTTPGetAction) error {
	req, err := httpRequest(ctx, a, c, podIP, "lifecycle")
	if err != nil {
		return err
	}
	client := &http.Client{Transport: m.h.transport}
	resp, err := client.Do(req)
	discard(resp)
	var uerr *url.Error
	if err != nil && errors.As(err, &uerr) && strings.Contains(uerr.Err.Error(), "server gave HTTP response to HTTPS client") {
		req = req.Clone(ctx)
		req.URL.Scheme = "http"
		req.Header.Del("Authorization")
		resp, herr := client.Do(req)
		discard(resp)
		if herr == nil {
			m.podEvent(pod, corev1.EventTypeWarning, "LifecycleHTTPFallback",
				fmt.Sprintf("request to HTTPS lifecycle hook %s got HTTP response, retry with HTTP succeeded", req.URL.Host))
			err = nil
		}
	}
	return err
}

func discard(resp *http.Response) {
	if resp == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxOutput))
	_ = resp.Body.Close()
}

// RunPostStart runs c's postStart hook, if any, right after the
// container started. On failure it records FailedPostStartHook (without
// the hook's output, which may hold secrets) and returns the message
// with ErrPostStartHook; the caller kills the container (KillGracePeriod
// with "FailedPostStartHook" as the Killing message, as the kubelet
// does) and reports it waiting with reason PostStartHookError.
func (m *Manager) RunPostStart(ctx context.Context, pod *corev1.Pod, c *corev1.Container, containerID, podIP string) (string, error) {
	if c.Lifecycle == nil || c.Lifecycle.PostStart == nil {
		return "", nil
	}
	msg, err := m.RunHook(ctx, pod, c, containerID, podIP, c.Lifecycle.PostStart)
	if err != nil {
		m.log.Info("postStart hook failed", "pod", pod.Namespace+"/"+pod.Name, "container", c.Name, "err", err)
		m.event(pod, c.Name, corev1.EventTypeWarning, events.FailedPostStartHook, "%s", events.MsgPostStartHookFailed)
		return msg, fmt.Errorf("%w: %s", ErrPostStartHook, msg)
	}
	return "", nil
}

// RunPreStop runs c's preStop hook, if any, before the container is
// stopped, waiting at most grace for it, and returns how long it took:
// the caller stops the container with what is left of the grace period.
// A failed hook records FailedPreStopHook; the container is stopped all
// the same. The hook goes on after grace in the background until ctx
// ends or it finishes, as in the kubelet, where the runtime's stop then
// ends it.
func (m *Manager) RunPreStop(ctx context.Context, pod *corev1.Pod, c *corev1.Container, containerID, podIP string, grace time.Duration) time.Duration {
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || grace <= 0 {
		return 0
	}
	start := m.cfg.Clock.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := m.RunHook(ctx, pod, c, containerID, podIP, c.Lifecycle.PreStop); err != nil {
			m.log.Info("preStop hook failed", "pod", pod.Namespace+"/"+pod.Name, "container", c.Name, "err", err)
			m.event(pod, c.Name, corev1.EventTypeWarning, events.FailedPreStopHook, "%s", events.MsgPreStopHookFailed)
		}
	}()
	t := m.cfg.Clock.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C():
	case <-ctx.Done():
	}
	return m.cfg.Clock.Since(start)
}

// KillGracePeriod is how long container c gets to stop when killed for
// reason, as the kubelet decides: the pod's deletion grace period when
// it is being deleted; else, for a failed liveness or startup probe,
// that probe's terminationGracePeriodSeconds when set; else the pod's
// terminationGracePeriodSeconds; 2 seconds when nothing says.
// reason is the probe Kind that failed, or -1 for any other reason.
func KillGracePeriod(pod *corev1.Pod, c *corev1.Container, reason Kind) time.Duration {
	switch {
	case pod.DeletionGracePeriodSeconds != nil:
		return time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	case pod.Spec.TerminationGracePeriodSeconds != nil:
		if reason == Liveness || reason == Startup {
			if p := reason.spec(c); p != nil && p.TerminationGracePeriodSeconds != nil {
				return time.Duration(*p.TerminationGracePeriodSeconds) * time.Second
			}
		}
		return time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	return 2 * time.Second
}

// NoProbe is KillGracePeriod's reason for a kill no probe asked for.
const NoProbe Kind = -1

func (m *Manager) podEvent(pod *corev1.Pod, eventType, reason, msg string) {
	if m.cfg.Recorder != nil {
		m.cfg.Recorder.Event(events.PodRef(pod), eventType, reason, msg)
	}
}
