package prober

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"github.com/tinykube/tinykube/pkg/node/events"
)

// Probe defaults, as the API server's defaulting would set them.
const (
	defaultPeriod           = 10
	defaultTimeout          = 1
	defaultFailureThreshold = 3
	// retries of a probe that errored (could not run at all) before
	// its result is thrown away.
	maxProbeRetries = 3
)

// worker probes one container of one pod for one kind, every period,
// until the pod is removed or finishes, or the container will not run
// again.
type worker struct {
	m         *Manager
	uid       types.UID
	container string
	// c is the container's spec at the worker's start; the probe spec
	// cannot change on a running pod.
	c       *corev1.Container
	kind    Kind
	spec    *corev1.Probe
	initial Result

	ctx     context.Context
	cancel  context.CancelFunc
	trigger func()
	// triggerCh asks for a probe now (buffered: triggers coalesce).
	triggerCh chan struct{}

	// Worker-goroutine state.
	containerID string
	last        Result
	streak      int
	// onHold: the result is final for this container (a liveness
	// failure, a startup verdict); wait for a new container.
	onHold bool
}

func newWorker(m *Manager, pod *corev1.Pod, c *corev1.Container, kind Kind) *worker {
	ctx, cancel := context.WithCancel(m.ctx)
	w := &worker{m: m, uid: pod.UID, container: c.Name, c: c.DeepCopy(), kind: kind, spec: kind.spec(c),
		ctx: ctx, cancel: cancel, triggerCh: make(chan struct{}, 1)}
	w.trigger = func() {
		select {
		case w.triggerCh <- struct{}{}:
		default:
		}
	}
	switch kind {
	case Liveness:
		w.initial = Success // a container lives until proven otherwise
	case Readiness:
		w.initial = Failure // and is not ready until proven so
	case Startup:
		w.initial = Unknown
	}
	return w
}

// stop ends the worker; safe to call more than once.
func (w *worker) stop() { w.cancel() }

func (w *worker) run() {
	defer utilruntime.HandleCrash()
	period := time.Duration(orDefault(w.spec.PeriodSeconds, defaultPeriod)) * time.Second
	ticker := w.m.cfg.Clock.NewTicker(period)
	defer func() {
		ticker.Stop()
		w.cancel()
		if w.containerID != "" {
			w.m.remove(w.containerID, w.kind)
		}
		w.m.removeWorker(w.uid, w)
	}()
	for {
		more := w.doProbe()
		if w.m.looked != nil {
			w.m.looked(w.container, w.kind)
		}
		if !more {
			return
		}
		select {
		case <-w.ctx.Done():
			return
		case <-ticker.C():
		case <-w.triggerCh:
		}
	}
}

// doProbe looks at the container once and reports whether to go on.
func (w *worker) doProbe() bool {
	pod, status, ok := w.m.snapshot(w.uid)
	if !ok || w.ctx.Err() != nil {
		return false // the pod is gone
	}
	if status.Phase == corev1.PodSucceeded || status.Phase == corev1.PodFailed {
		return false
	}
	cs := findStatus(status.ContainerStatuses, w.container)
	if cs == nil || cs.ContainerID == "" {
		cs = findStatus(status.InitContainerStatuses, w.container)
	}
	if cs == nil || cs.ContainerID == "" {
		return true // not created yet
	}
	if cs.ContainerID != w.containerID {
		// A new container: start over from the kind's initial value.
		if w.containerID != "" {
			w.m.remove(w.containerID, w.kind)
		}
		w.containerID = cs.ContainerID
		w.set(pod, w.initial)
		w.onHold, w.streak = false, 0
	}
	if w.onHold {
		return true
	}
	if cs.State.Running == nil {
		w.set(pod, Failure)
		// Go on only if the container may run again.
		return cs.State.Terminated == nil || pod.Spec.RestartPolicy != corev1.RestartPolicyNever || isSidecar(w.c)
	}
	if pod.DeletionTimestamp != nil && (w.kind == Liveness || w.kind == Startup) {
		// Shutting down: never kill a container for failing now.
		w.set(pod, Success)
		return false
	}
	if w.m.cfg.Clock.Since(cs.State.Running.StartedAt.Time) < time.Duration(w.spec.InitialDelaySeconds)*time.Second {
		return true
	}
	started := cs.Started != nil && *cs.Started
	if started == (w.kind == Startup) {
		// The startup probe is done once started; the others wait for it.
		return true
	}

	r, err := w.probe(pod, status.PodIP)
	if err != nil {
		return true // could not probe: throw the attempt away
	}
	if r == w.last {
		w.streak++
	} else {
		w.last, w.streak = r, 1
	}
	if (r == Failure && w.streak < int(orDefault(w.spec.FailureThreshold, defaultFailureThreshold))) ||
		(r == Success && w.streak < int(orDefault(w.spec.SuccessThreshold, 1))) {
		return true // below the threshold: the result stands
	}
	w.set(pod, r)
	if (w.kind == Liveness && r == Failure) || w.kind == Startup {
		w.onHold, w.streak = true, 0
	}
	return true
}

// probe runs the probe (retrying one that could not run) and records
// the kubelet's events for the outcome.
func (w *worker) probe(pod *corev1.Pod, podIP string) (Result, error) {
	var (
		out    outcome
		output string
		err    error
	)
	timeout := time.Duration(orDefault(w.spec.TimeoutSeconds, defaultTimeout)) * time.Second
	spec := w.spec.DeepCopy()
	spec.TimeoutSeconds = int32(timeout / time.Second)
	for i := 0; i < maxProbeRetries; i++ {
		if out, output, err = w.m.h.probe(w.ctx, spec, w.c, w.containerID, podIP); err == nil {
			break
		}
		if w.ctx.Err() != nil {
			return Failure, w.ctx.Err()
		}
	}
	if err != nil {
		w.m.log.Debug("probe errored", "kind", w.kind, "pod", pod.Namespace+"/"+pod.Name, "container", w.container, "err", err)
		w.m.event(pod, w.container, corev1.EventTypeWarning, events.Unhealthy,
			"%s probe errored and resulted in %s state: %s", w.kind, "unknown", err)
		return Failure, err
	}
	switch out {
	case warning:
		w.m.event(pod, w.container, corev1.EventTypeWarning, events.ProbeWarning, "%s probe warning: %s", w.kind, output)
		return Success, nil
	case failure:
		w.m.event(pod, w.container, corev1.EventTypeWarning, events.Unhealthy, "%s probe failed: %s", w.kind, output)
		return Failure, nil
	}
	return Success, nil
}

func (w *worker) set(pod *corev1.Pod, r Result) {
	if w.m.set(w.containerID, w.kind, r) {
		w.m.changed(pod)
	}
}

func orDefault(v, def int32) int32 {
	if v <= 0 {
		return def
	}
	return v
}
