package nodeproxy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Simulated nodes (tinykube server --simulated-nodes, tinykube node
// --simulated) run no processes and serve no kubelet API. The connect
// subresources of their pods answer here instead of dialling an address
// nobody listens on (docs/simulated-nodes.md):
//
//   - pods/log is a synthetic log, three lines at most, built from the
//     container's status (as kwok's ClusterLogs serve a configured file);
//     the options apply (previous, timestamps, tailLines, limitBytes,
//     sinceSeconds, sinceTime) and a container that has not started is
//     the kubelet's 400 "is waiting to start";
//   - pods/exec, pods/attach, pods/portforward, pods/proxy and nodes/proxy
//     (and services/proxy when every endpoint is such a pod) are a 400
//     whose message names the subresource and what is missing,
//     which kubectl prints after "unable to upgrade connection:" (exec,
//     attach, cp, debug) or "error upgrading connection:" (port-forward).

// SimulatedNodeLabel marks a simulated node (set by pkg/node).
const SimulatedNodeLabel = "node.tinykube.io/simulated"

// simulatedHint is what every refusal ends with.
const simulatedHint = "simulated nodes run no containers; run `tinykube server --node` (or `tinykube node --runtime containerd`) for a real node, see docs/simulated-nodes.md"

// simulated reports whether the node named nodeName is simulated.
func (p *Proxy) simulated(ctx context.Context, nodeName string) (bool, error) {
	if nodeName == "" {
		return false, nil
	}
	obj, err := p.cfg.Nodes.Get(ctx, "", nodeName, nil)
	if apierrors.IsNotFound(err) {
		return false, nil // the usual path answers for a node that is gone
	}
	if err != nil {
		return false, err
	}
	return obj.(*corev1.Node).Labels[SimulatedNodeLabel] == "true", nil
}

// refuseSimulated is the answer to subresource (e.g. "pods/exec") of a
// pod on simulated node nodeName.
func refuseSimulated(subresource, what, nodeName string) error {
	return apierrors.NewBadRequest(fmt.Sprintf("%s: %s is on simulated node %q: %s", subresource, what, nodeName, simulatedHint))
}

// logLine is one line of a synthetic log, with the time it stands for.
type logLine struct {
	at   time.Time
	text string
}

// serveSimulatedLog answers pods/log for container name of pod on a
// simulated node. query holds the validated options (logOptions).
func serveSimulatedLog(w http.ResponseWriter, r *http.Request, pod *corev1.Pod, name string, query url.Values) error {
	cs, image := findStatus(pod, name)
	previous := query.Get("previous") == "true"
	var started, finished time.Time
	var exit *corev1.ContainerStateTerminated
	switch {
	case previous:
		if cs == nil || cs.LastTerminationState.Terminated == nil {
			return apierrors.NewBadRequest(fmt.Sprintf("previous terminated container %q in pod %q not found", name, pod.Name))
		}
		exit = cs.LastTerminationState.Terminated
		started, finished = exit.StartedAt.Time, exit.FinishedAt.Time
	case cs != nil && cs.State.Running != nil:
		started = cs.State.Running.StartedAt.Time
	case cs != nil && cs.State.Terminated != nil:
		exit = cs.State.Terminated
		started, finished = exit.StartedAt.Time, exit.FinishedAt.Time
	case cs != nil && cs.LastTerminationState.Terminated != nil:
		// Waiting to restart: the last instance's log, as the kubelet.
		exit = cs.LastTerminationState.Terminated
		started, finished = exit.StartedAt.Time, exit.FinishedAt.Time
	default:
		reason := "ContainerCreating"
		if cs != nil && cs.State.Waiting != nil && cs.State.Waiting.Reason != "" {
			reason = cs.State.Waiting.Reason
		}
		switch reason {
		case "ErrImagePull":
			reason = "image can't be pulled"
		case "ImagePullBackOff":
			reason = "trying and failing to pull image"
		}
		return apierrors.NewBadRequest(fmt.Sprintf("container %q in pod %q is waiting to start: %s", name, pod.Name, reason))
	}
	lines := []logLine{
		{started, fmt.Sprintf("tinykube: container %q of pod %s/%s (image %q) started on simulated node %q", name, pod.Namespace, pod.Name, image, pod.Spec.NodeName)},
		{started, "tinykube: this log is synthetic: simulated nodes run no processes (docs/simulated-nodes.md); run `tinykube server --node` for real containers and their logs"},
	}
	if exit != nil {
		reason := exit.Reason
		if reason == "" {
			reason = "Error"
		}
		lines = append(lines, logLine{finished, fmt.Sprintf("tinykube: container %q exited with code %d (%s)", name, exit.ExitCode, reason)})
	}
	body, err := renderLog(lines, query)
	if err != nil {
		return err
	}
	if isWebSocket(r) {
		streamLogWebSocket(w, r, io.NopCloser(bytes.NewReader(body)))
		return nil
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
}

// findStatus returns the status of the pod's container name (init,
// regular or ephemeral) and its image.
func findStatus(pod *corev1.Pod, name string) (*corev1.ContainerStatus, string) {
	var image string
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range list {
			if c.Name == name {
				image = c.Image
			}
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == name {
			image = c.Image
		}
	}
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses, pod.Status.EphemeralContainerStatuses} {
		for i := range list {
			if list[i].Name == name {
				return &list[i], image
			}
		}
	}
	return nil, image
}

// renderLog applies the log options in query (as the kubelet's
// /containerLogs takes them) to lines.
func renderLog(lines []logLine, query url.Values) ([]byte, error) {
	var since time.Time
	if v := query.Get("sinceSeconds"); v != "" {
		n, _ := strconv.ParseInt(v, 10, 64) // validated
		since = time.Now().Add(-time.Duration(n) * time.Second)
	}
	if v := query.Get("sinceTime"); v != "" {
		since, _ = time.Parse(time.RFC3339, v) // validated
	}
	kept := lines[:0:0]
	for _, l := range lines {
		if !l.at.Before(since) {
			kept = append(kept, l)
		}
	}
	if v := query.Get("tailLines"); v != "" {
		n, _ := strconv.Atoi(v)
		if n < len(kept) {
			kept = kept[len(kept)-n:]
		}
	}
	if query.Get("stream") == "Stderr" {
		kept = nil // the synthetic lines are stdout
	}
	var b strings.Builder
	for _, l := range kept {
		if query.Get("timestamps") == "true" {
			b.WriteString(l.at.UTC().Format(time.RFC3339Nano))
			b.WriteByte(' ')
		}
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	out := []byte(b.String())
	if v := query.Get("limitBytes"); v != "" {
		if n, _ := strconv.Atoi(v); n < len(out) {
			out = out[:n]
		}
	}
	return out, nil
}
