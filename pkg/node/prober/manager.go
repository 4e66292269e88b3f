package prober

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/node/events"
)

// Result is a probe kind's current verdict on one container.
type Result int

const (
	// Unknown: not probed yet (the startup probe's initial value).
	Unknown Result = iota
	Success
	Failure
)

func (r Result) String() string {
	switch r {
	case Success:
		return "success"
	case Failure:
		return "failure"
	}
	return "unknown"
}

// Config configures a Manager.
type Config struct {
	// Runner runs exec probes and hooks (the runtime's ExecSync). Without
	// one they fail with an error.
	Runner CommandRunner
	// Recorder receives Unhealthy, ProbeWarning and hook events; nil
	// records nothing.
	Recorder record.EventRecorder
	// Clock paces the workers (period, initial delay) and sleep hooks.
	Clock clock.WithTicker
	// OnChange is called (from a worker goroutine, without locks held)
	// with a pod whose probe results changed; the agent re-syncs it. It
	// must not block for long.
	OnChange func(pod types.NamespacedName)
	Logger   *slog.Logger
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	if c.Clock == nil {
		return errors.New("prober: Clock is required")
	}
	return nil
}

// Manager runs the probes of the pods of one node. Its methods are safe
// for concurrent use.
type Manager struct {
	cfg Config
	ctx context.Context
	h   *handlers
	log *slog.Logger

	mu sync.Mutex
	// pods by UID: the latest spec and status the agent handed over,
	// and the pod's workers.
	pods map[types.UID]*podEntry
	// results by container ID (as in the pod status, with the runtime's
	// "name://" prefix) and kind.
	results map[resultKey]Result

	// looked, when set (tests), is called after each look a worker
	// takes at its container, probing or not.
	looked func(container string, kind Kind)
}

type podEntry struct {
	pod     *corev1.Pod
	status  corev1.PodStatus
	workers map[workerKey]*worker
}

type workerKey struct {
	container string
	kind      Kind
}

type resultKey struct {
	containerID string
	kind        Kind
}

// NewManager builds a Manager; it starts workers as pods are handed to
// UpdatePodStatus. They all end with ctx.
func NewManager(ctx context.Context, cfg Config) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Manager{cfg: cfg, ctx: ctx, h: newHandlers(cfg.Runner), log: cfg.Logger,
		pods: map[types.UID]*podEntry{}, results: map[resultKey]Result{}}, nil
}

// UpdatePodStatus hands the Manager pod's spec and current status and
// fills in each container's Started and Ready from the probe results,
// as the kubelet's prober manager does:
//
//   - started: running, and the startup probe (if any) has succeeded;
//   - ready: started, and the readiness probe (if any) has succeeded.
//
// Restartable init containers (sidecars) are treated alike; other init
// containers are left as they are. On first sight of a pod it starts
// the workers for every container's probes; a pod that has
// finished (Succeeded or Failed) gets none.
func (m *Manager) UpdatePodStatus(pod *corev1.Pod, status *corev1.PodStatus) {
	m.mu.Lock()
	e := m.pods[pod.UID]
	fresh := e == nil
	if fresh {
		e = &podEntry{workers: map[workerKey]*worker{}}
		m.pods[pod.UID] = e
		if status.Phase != corev1.PodSucceeded && status.Phase != corev1.PodFailed {
			m.startWorkersLocked(pod, e)
		}
	}
	e.pod = pod

	fill := func(c *corev1.Container, cs *corev1.ContainerStatus) {
		running := cs.State.Running != nil
		started := running
		if running && e.workers[workerKey{c.Name, Startup}] != nil {
			started = m.results[resultKey{cs.ContainerID, Startup}] == Success
		}
		cs.Started = &started
		ready := started
		if started {
			if w := e.workers[workerKey{c.Name, Readiness}]; w != nil {
				r, ok := m.results[resultKey{cs.ContainerID, Readiness}]
				ready = ok && r == Success
				if !ok && !fresh {
					// The container just started: look now, not a
					// period from now. (A fresh worker looks at once.)
					w.trigger()
				}
			}
		}
		cs.Ready = ready
	}
	for i := range status.ContainerStatuses {
		cs := &status.ContainerStatuses[i]
		if c := findContainer(pod.Spec.Containers, cs.Name); c != nil {
			fill(c, cs)
		}
	}
	for i := range status.InitContainerStatuses {
		cs := &status.InitContainerStatuses[i]
		if c := findContainer(pod.Spec.InitContainers, cs.Name); c != nil && isSidecar(c) {
			fill(c, cs)
		}
	}
	e.status = *status.DeepCopy()
	m.mu.Unlock()
}

func (m *Manager) startWorkersLocked(pod *corev1.Pod, e *podEntry) {
	start := func(c *corev1.Container) {
		for _, k := range []Kind{Liveness, Readiness, Startup} {
			if k.spec(c) == nil {
				continue
			}
			w := newWorker(m, pod, c, k)
			e.workers[workerKey{c.Name, k}] = w
			go w.run()
		}
	}
	for i := range pod.Spec.Containers {
		start(&pod.Spec.Containers[i])
	}
	for i := range pod.Spec.InitContainers {
		if isSidecar(&pod.Spec.InitContainers[i]) {
			start(&pod.Spec.InitContainers[i])
		}
	}
}

// RemovePod stops the pod's workers and forgets its results.
func (m *Manager) RemovePod(uid types.UID) {
	m.mu.Lock()
	e := m.pods[uid]
	delete(m.pods, uid)
	m.mu.Unlock()
	if e == nil {
		return
	}
	for _, w := range e.workers {
		w.stop()
	}
}

// Result is kind's current result for the container with containerID
// (as in the pod's status); ok is false when there is none (no probe of
// that kind, or not looked at yet).
func (m *Manager) Result(kind Kind, containerID string) (r Result, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok = m.results[resultKey{containerID, kind}]
	return r, ok
}

// Pods is the number of pods the Manager tracks (tests, metrics).
func (m *Manager) Pods() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.pods)
}

// set stores a result and reports whether it changed.
func (m *Manager) set(containerID string, kind Kind, r Result) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := resultKey{containerID, kind}
	if old, ok := m.results[k]; ok && old == r {
		return false
	}
	m.results[k] = r
	return true
}

func (m *Manager) remove(containerID string, kind Kind) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.results, resultKey{containerID, kind})
}

// snapshot returns the pod's latest spec and status as handed over, or
// ok false when the pod is gone.
func (m *Manager) snapshot(uid types.UID) (*corev1.Pod, corev1.PodStatus, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.pods[uid]
	if e == nil {
		return nil, corev1.PodStatus{}, false
	}
	return e.pod, e.status, true
}

func (m *Manager) removeWorker(uid types.UID, w *worker) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.pods[uid]; e != nil && e.workers[workerKey{w.container, w.kind}] == w {
		delete(e.workers, workerKey{w.container, w.kind})
	}
}

func (m *Manager) changed(pod *corev1.Pod) {
	if m.cfg.OnChange != nil {
		m.cfg.OnChange(events.PodKey(pod))
	}
}

func (m *Manager) event(pod *corev1.Pod, container, eventType, reason, format string, args ...any) {
	if m.cfg.Recorder != nil {
		m.cfg.Recorder.Eventf(events.ContainerRef(pod, container), eventType, reason, format, args...)
	}
}

func findContainer(cs []corev1.Container, name string) *corev1.Container {
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	return nil
}

func findStatus(ss []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
	for i := range ss {
		if ss[i].Name == name {
			return &ss[i]
		}
	}
	return nil
}

func isSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}
