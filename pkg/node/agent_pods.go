package node

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/pkg/node/events"
)

var everything = labels.Everything()

func cacheKey(p *corev1.Pod) cache.ObjectName { return cache.MetaObjectToName(p) }

// podRecord is what the agent remembers about a pod it runs: the
// sandbox and, per container name, the current container.
type podRecord struct {
	uid        types.UID
	node       *nodeState
	sandboxID  string
	sandbox    *runtimeapi.PodSandboxConfig
	ips        []string
	startedAt  time.Time
	containers map[string]*containerRecord
	// stopAt is when a pod being deleted finishes its simulated shutdown.
	stopAt time.Time
	// stopping is set when a real pod's containers are being stopped
	// (stopReal: deletion, or the active deadline passed); stopped once
	// they are. A stopping pod's dead sandbox is not replaced.
	stopping bool
	stopped  atomic.Bool
	// volumes: whether the pod's volumes are set up (real nodes).
	volumes volumeState
	// finished is set once a real pod in a terminal phase has had its
	// containers and sandbox stopped and its volumes torn down; its
	// exited containers and logs stay until the pod is deleted.
	finished bool
	// finalPhase is the phase of a real pod whose containers all
	// finished but for some still running (sidecars, ephemeral
	// containers): it is reported once they have been stopped.
	finalPhase corev1.PodPhase
	// messages are a finished pod's termination messages by container
	// ID, kept once read: their files go with the pod's volumes.
	messages map[string]string
	// readyRecheck, on a simulated node, is how long until a container
	// becomes ready by the ready-after annotation (0: none pending).
	readyRecheck time.Duration
	// resize is the in-place resize bookkeeping (agent_resize.go).
	resize resizeState
}

type containerRecord struct {
	id       string
	restarts int32
	// last is how the previous instance ended (lastState).
	last *corev1.ContainerStateTerminated
	// restartAt is set while an exited container waits out its back-off.
	restartAt time.Time
	// waiting, when set and there is no container, is why (an image
	// that could not be pulled).
	waiting *corev1.ContainerStateWaiting
	// actuated is the resources the current instance's cgroups were
	// given (status resources; agent_resize.go).
	actuated *corev1.ResourceRequirements
}

func (a *Agent) record(key cache.ObjectName) *podRecord {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.records[key]
}

func (a *Agent) setRecord(key cache.ObjectName, r *podRecord) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r == nil {
		delete(a.records, key)
		return
	}
	a.records[key] = r
}

// syncPod moves one pod a step towards what its spec and metadata ask:
// start it, restart or finish its containers, or confirm its deletion;
// then hands the status a kubelet would report to the status manager.
func (a *Agent) syncPod(ctx context.Context, key cache.ObjectName) (time.Duration, error) {
	rec := a.record(key)
	pod, err := a.pods.Pods(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		return 0, a.teardown(ctx, key, rec)
	}
	if err != nil {
		return 0, err
	}
	ns := a.nodes[pod.Spec.NodeName]
	if rec != nil && (rec.uid != pod.UID || ns == nil) {
		if err := a.teardown(ctx, key, rec); err != nil { // a new pod with the same name
			return 0, err
		}
		rec = nil
	}
	if ns == nil {
		return 0, nil
	}
	if rec == nil && ns.machine != nil {
		// A real pod may still run from an earlier run of the agent.
		if rec, err = a.adopt(ctx, ns, pod); err != nil {
			return 0, err
		}
	}
	if rec != nil && ns.machine != nil && pod.DeletionTimestamp == nil && !rec.stopping &&
		pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed {
		if rec, err = a.checkSandbox(ctx, key, pod, rec); err != nil {
			return 0, err
		}
	}
	if pod.DeletionTimestamp != nil {
		return a.terminate(ctx, key, pod, rec)
	}
	if podFinished(pod) || (rec != nil && rec.finalPhase != "") {
		// Finished: the kubelet never restarts it. A real pod keeps its
		// exited containers and logs until it is deleted
		// (agent_realfinish.go); a simulated one goes at once.
		if rec != nil && ns.machine != nil {
			return a.finishReal(ctx, key, pod, rec)
		}
		return 0, a.teardown(ctx, key, rec)
	}
	if rec == nil {
		if !ns.podCIDRReady() {
			return time.Second, nil // waiting for node IPAM (or the fallback)
		}
		if reason, msg := a.admit(ns, pod); reason != "" {
			return 0, a.reject(ctx, pod, reason, msg)
		}
		if rec, err = a.runSandbox(ctx, ns, pod); err != nil {
			if ns.machine != nil && ctx.Err() == nil {
				// Retried with back-off; say why a real pod is stuck.
				a.log.Warn("node: creating the pod's sandbox failed", "pod", key, "err", err)
				a.podEvent(ns, pod, corev1.EventTypeWarning, "FailedCreatePodSandBox", "Failed to create pod sandbox: "+err.Error())
			}
			return 0, err
		}
		a.setRecord(key, rec)
	}
	left, hasDeadline := activeDeadlineLeft(pod, rec.startedAt, a.cfg.Clock.Now())
	if hasDeadline && left <= 0 {
		return a.failDeadline(ctx, key, pod, rec)
	}
	// In-place resize: admit the desired resources if they fit, bring
	// running containers to the allocation; containers are created
	// from it (agent_resize.go).
	run, resizeAfter := a.allocateResize(pod, rec)
	if err := a.actuateResize(ctx, run, rec); err != nil {
		return 0, err
	}
	after, err := a.step(ctx, run, rec)
	if err != nil {
		return 0, err
	}
	if resizeAfter > 0 && (after == 0 || resizeAfter < after) {
		after = resizeAfter // a deferred resize is tried again
	}
	if hasDeadline && (after == 0 || left < after) {
		after = left // sync again when the deadline passes
	}
	status, err := a.podStatus(ctx, run, rec, false)
	if err != nil {
		return 0, err
	}
	if d := rec.readyRecheck; d > 0 && (after == 0 || d < after) {
		after = d // a simulated container becomes ready then
	}
	if ns.machine != nil && (status.Phase == corev1.PodSucceeded || status.Phase == corev1.PodFailed) && anyRunning(&status) {
		// As the kubelet, a real pod is reported finished only once
		// nothing of it runs: its sidecars and ephemeral containers
		// are stopped first, the phase decided now.
		rec.finalPhase = status.Phase
		return a.finishReal(ctx, key, pod, rec)
	}
	a.status.set(pod, status)
	return after, nil
}

// anyRunning reports whether a container of status runs.
func anyRunning(status *corev1.PodStatus) bool {
	for _, list := range [][]corev1.ContainerStatus{status.InitContainerStatuses, status.ContainerStatuses, status.EphemeralContainerStatuses} {
		for _, cs := range list {
			if cs.State.Running != nil {
				return true
			}
		}
	}
	return false
}

// runSandbox starts the pod's sandbox; its IPs come from the runtime.
func (a *Agent) runSandbox(ctx context.Context, ns *nodeState, pod *corev1.Pod) (*podRecord, error) {
	cfg, err := a.sandboxConfig(ns, pod)
	if err != nil {
		return nil, err
	}
	id, err := ns.runtime.RunPodSandbox(ctx, cfg, "")
	if err != nil {
		if ns.machine != nil {
			a.removeFailedSandboxes(ctx, ns, pod)
		}
		return nil, fmt.Errorf("running sandbox: %w", err)
	}
	return a.sandboxRecord(ctx, ns, pod, cfg, id)
}

// sandboxConfig is the CRI config of pod's sandbox.
func (a *Agent) sandboxConfig(ns *nodeState, pod *corev1.Pod) (*runtimeapi.PodSandboxConfig, error) {
	lbls := map[string]string{labelPodName: pod.Name, labelPodNamespace: pod.Namespace, labelPodUID: string(pod.UID)}
	for k, v := range pod.Labels {
		lbls[k] = v
	}
	cfg := &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{Name: pod.Name, Namespace: pod.Namespace, Uid: string(pod.UID)},
		Hostname: podHostname(pod), Labels: lbls, Annotations: pod.Annotations,
	}
	if ns.machine != nil {
		if err := a.realSandboxConfig(cfg, pod); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// sandboxRecord is the record of pod running in sandbox id, its IPs
// from the runtime.
func (a *Agent) sandboxRecord(ctx context.Context, ns *nodeState, pod *corev1.Pod, cfg *runtimeapi.PodSandboxConfig, id string) (*podRecord, error) {
	st, err := ns.runtime.PodSandboxStatus(ctx, id, false)
	if err != nil {
		return nil, fmt.Errorf("sandbox status: %w", err)
	}
	rec := &podRecord{uid: pod.UID, node: ns, sandboxID: id, sandbox: cfg, containers: map[string]*containerRecord{},
		startedAt: time.Unix(0, st.GetStatus().GetCreatedAt())}
	if net := st.GetStatus().GetNetwork(); net != nil && net.Ip != "" {
		rec.ips = append(rec.ips, net.Ip)
		for _, ip := range net.AdditionalIps {
			rec.ips = append(rec.ips, ip.Ip)
		}
	}
	if len(rec.ips) == 0 && pod.Spec.HostNetwork {
		rec.ips = []string{ns.ip.String()}
	}
	return rec, nil
}

// step creates, starts and restarts containers: init containers one at a
// time in order (sidecars, restartPolicy Always, only need to have
// started), then every regular container. It returns the delay until a
// pending restart is due.
func (a *Agent) step(ctx context.Context, pod *corev1.Pod, rec *podRecord) (time.Duration, error) {
	var after time.Duration
	next := func(d time.Duration) {
		if d > 0 && (after == 0 || d < after) {
			after = d
		}
	}
	ready, d := a.ensureVolumes(ctx, pod, rec)
	if !ready {
		return d, nil // the containers wait in ContainerCreating
	}
	next(d)
	d, err := a.ensureEphemeral(ctx, pod, rec)
	if err != nil {
		return 0, err
	}
	next(d)
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		sidecar := isSidecar(c)
		st, d, err := a.ensure(ctx, pod, rec, c, initContainer, func(code int32) bool {
			return sidecar || (code != 0 && pod.Spec.RestartPolicy != corev1.RestartPolicyNever)
		})
		if err != nil {
			return 0, err
		}
		next(d)
		running := st.GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING
		succeeded := st.GetState() == runtimeapi.ContainerState_CONTAINER_EXITED && st.GetExitCode() == 0
		if (sidecar && running && a.started(rec, c, st)) || (!sidecar && succeeded) {
			continue
		}
		return after, nil // this init container blocks the rest
	}
	for i := range pod.Spec.Containers {
		_, d, err := a.ensure(ctx, pod, rec, &pod.Spec.Containers[i], regularContainer, func(code int32) bool {
			return pod.Spec.RestartPolicy == corev1.RestartPolicyAlways ||
				(pod.Spec.RestartPolicy == corev1.RestartPolicyOnFailure && code != 0)
		})
		if err != nil {
			return 0, err
		}
		next(d)
	}
	return after, nil
}

// ensureEphemeral starts the pod's ephemeral containers (kubectl
// debug), once each: before the init containers, as the kubelet does,
// so that a pod stuck initializing can be debugged, and never again
// after they exit (nor in a replaced sandbox). One that targets a
// container (targetContainerName) waits until that container has been
// created, to share its process namespace.
func (a *Agent) ensureEphemeral(ctx context.Context, pod *corev1.Pod, rec *podRecord) (time.Duration, error) {
	var after time.Duration
	for i := range pod.Spec.EphemeralContainers {
		ec := &pod.Spec.EphemeralContainers[i]
		if cr := rec.containers[ec.Name]; cr != nil && cr.id == "" && (cr.restarts > 0 || cr.last != nil) {
			continue // ran in a sandbox since replaced
		}
		if t := ec.TargetContainerName; t != "" && rec.node.machine != nil {
			if tr := rec.containers[t]; tr == nil || tr.id == "" {
				after = time.Second
				continue
			}
		}
		c := corev1.Container(ec.EphemeralContainerCommon)
		if _, d, err := a.ensure(ctx, pod, rec, &c, ephemeralContainer, func(int32) bool { return false }); err != nil {
			return 0, err
		} else if d > 0 && (after == 0 || d < after) {
			after = d
		}
	}
	return after, nil
}

// containerKind is which of the pod's lists a container comes from.
type containerKind int

const (
	regularContainer containerKind = iota
	initContainer
	ephemeralContainer
)

// ephemeralTarget returns the targetContainerName of the pod's
// ephemeral container name, "" if it has none or is not one.
func ephemeralTarget(pod *corev1.Pod, name string) string {
	for i := range pod.Spec.EphemeralContainers {
		if pod.Spec.EphemeralContainers[i].Name == name {
			return pod.Spec.EphemeralContainers[i].TargetContainerName
		}
	}
	return ""
}

func isSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// ensure makes container c exist and run, restarting an exited instance
// (after its back-off) when restart says so for its exit code. It returns
// the current instance's status and the delay until a pending restart.
func (a *Agent) ensure(ctx context.Context, pod *corev1.Pod, rec *podRecord, c *corev1.Container, kind containerKind,
	restart func(exitCode int32) bool) (*runtimeapi.ContainerStatus, time.Duration, error) {
	rt := rec.node.runtime
	cr := rec.containers[c.Name]
	if cr == nil {
		cr = &containerRecord{}
		rec.containers[c.Name] = cr
	}
	if cr.id != "" {
		resp, err := rt.ContainerStatus(ctx, cr.id, false)
		if err != nil {
			return nil, 0, fmt.Errorf("container %s status: %w", c.Name, err)
		}
		st := resp.GetStatus()
		if killed, err := a.probeKill(ctx, pod, rec, c, st); err != nil {
			return nil, 0, err
		} else if killed {
			if resp, err = rt.ContainerStatus(ctx, cr.id, false); err != nil {
				return nil, 0, fmt.Errorf("container %s status: %w", c.Name, err)
			}
			st = resp.GetStatus()
		}
		if st.GetState() != runtimeapi.ContainerState_CONTAINER_EXITED || !restart(st.GetExitCode()) {
			return st, 0, nil
		}
		now := a.cfg.Clock.Now()
		if cr.restartAt.IsZero() {
			cr.restartAt = time.Unix(0, st.GetFinishedAt()).Add(a.restartBackoff(cr))
		}
		if now.Before(cr.restartAt) {
			a.containerEvent(rec, pod, c.Name, corev1.EventTypeWarning, events.BackOff, events.BackOffMessage(pod, c.Name))
			return st, cr.restartAt.Sub(now), nil
		}
		cr.last = terminatedState(c, st, a.containerIDPrefix(rec))
		if err := rt.RemoveContainer(ctx, cr.id); err != nil {
			return nil, 0, err
		}
		cr.id, cr.restartAt = "", time.Time{}
		cr.restarts++
		if rec.node.machine != nil {
			// The instance just removed keeps its log for `kubectl logs
			// --previous`; older ones go, as the kubelet keeps one dead
			// instance per container (MaxPerPodContainer=1).
			pruneLogs(filepath.Join(rec.sandbox.GetLogDirectory(), c.Name), cr.restarts-1)
		}
	}
	cfg := &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: c.Name, Attempt: uint32(cr.restarts)},
		Image:    &runtimeapi.ImageSpec{Image: c.Image}, Command: c.Command, Args: c.Args, WorkingDir: c.WorkingDir,
		Labels: map[string]string{
			labelContainerName: c.Name, labelPodName: pod.Name, labelPodNamespace: pod.Namespace, labelPodUID: string(pod.UID),
		},
	}
	if rec.node.machine != nil {
		imageRef, waiting, retry := a.pullImage(ctx, rec, pod, c)
		if waiting != nil {
			cr.waiting = waiting
			return nil, retry, nil
		}
		cr.waiting = nil
		cfg.Image.Image = imageRef
		cfg.Image.UserSpecifiedImage = c.Image
		if err := a.realContainerConfig(cfg, pod, c, rec); err != nil {
			return nil, 0, err
		}
		if err := a.realContainerEnv(ctx, cfg, pod, c, rec); err != nil {
			cr.waiting = &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: err.Error()}
			a.containerEvent(rec, pod, c.Name, corev1.EventTypeWarning, events.Failed, events.ContainerFailedMessage(err.Error()))
			return nil, configRetry, nil
		}
	} else {
		// A simulated node still refuses what a kubelet would: an image
		// it cannot get, env from objects that do not exist
		// (simchecks.go).
		if waiting, retry := a.simulatedCreate(ctx, rec, pod, c); waiting != nil {
			cr.waiting = waiting
			return nil, retry, nil
		}
		cr.waiting = nil
		if kind == initContainer && !isSidecar(c) {
			// Simulated init containers complete at once; a real
			// runtime ignores this.
			cfg.Annotations = map[string]string{AnnotationExitAfter: "0s", AnnotationExitCode: "0"}
		} else if kind == regularContainer {
			cfg.Annotations = a.jobCompleteAnnotations(pod)
		} // simulated ephemeral containers run until the pod stops
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil && rec.node.machine == nil { // a real node's env: realContainerEnv
			cfg.Envs = append(cfg.Envs, &runtimeapi.KeyValue{Key: e.Name, Value: []byte(e.Value)})
		}
	}
	id, err := rt.CreateContainer(ctx, rec.sandboxID, cfg, rec.sandbox)
	if err != nil {
		a.containerEvent(rec, pod, c.Name, corev1.EventTypeWarning, events.Failed, fmt.Sprintf("Error: %v", err))
		return nil, 0, fmt.Errorf("creating container %s: %w", c.Name, err)
	}
	cr.id, cr.actuated = id, c.Resources.DeepCopy()
	a.containerEvent(rec, pod, c.Name, corev1.EventTypeNormal, events.Created, events.MsgCreated)
	if err := rt.StartContainer(ctx, id); err != nil {
		a.containerEvent(rec, pod, c.Name, corev1.EventTypeWarning, events.Failed, fmt.Sprintf("Error: %v", err))
		return nil, 0, fmt.Errorf("starting container %s: %w", c.Name, err)
	}
	a.containerEvent(rec, pod, c.Name, corev1.EventTypeNormal, events.Started, events.MsgStarted)
	hookErr := a.postStart(ctx, pod, rec, c, id)
	resp, err := rt.ContainerStatus(ctx, id, false)
	if err != nil {
		return nil, 0, err
	}
	st := resp.GetStatus()
	if hookErr != nil {
		// The hook killed the container: its restart waits out the
		// back-off, decided now as for any exit, so that the status
		// written meanwhile says CrashLoopBackOff, not Completed.
		a.log.Info("node agent: postStart hook failed", "pod", pod.Namespace+"/"+pod.Name, "container", c.Name, "err", hookErr)
		if st.GetState() == runtimeapi.ContainerState_CONTAINER_EXITED && restart(st.GetExitCode()) {
			cr.restartAt = time.Unix(0, st.GetFinishedAt()).Add(a.restartBackoff(cr))
			return st, max(cr.restartAt.Sub(a.cfg.Clock.Now()), time.Millisecond), nil
		}
	}
	return st, 0, nil
}

// restartBackoff is how long an exited container waits before its next
// start: RestartBackoff doubling per restart, up to MaxRestartBackoff.
func (a *Agent) restartBackoff(cr *containerRecord) time.Duration {
	backoff := a.cfg.RestartBackoff << min(cr.restarts, 20)
	if backoff > a.cfg.MaxRestartBackoff || backoff <= 0 {
		backoff = a.cfg.MaxRestartBackoff
	}
	return backoff
}

// terminate confirms a graceful deletion: after a simulated shutdown
// (the grace period, capped at ShutdownDelay) the containers stop, the
// final status is written and the pod is deleted for good (grace period
// 0, UID precondition so a successor of the same name is never hit).
func (a *Agent) terminate(ctx context.Context, key cache.ObjectName, pod *corev1.Pod, rec *podRecord) (time.Duration, error) {
	if rec != nil && rec.node.machine != nil {
		if !a.stopReal(ctx, key, pod, rec) {
			return 0, nil // re-added once the containers have stopped
		}
	} else if rec != nil {
		now := a.cfg.Clock.Now()
		if rec.stopAt.IsZero() {
			shutdown := a.cfg.ShutdownDelay
			if g := pod.DeletionGracePeriodSeconds; g != nil && time.Duration(*g)*time.Second < shutdown {
				shutdown = time.Duration(*g) * time.Second
			}
			rec.stopAt = now.Add(shutdown)
		}
		if now.Before(rec.stopAt) {
			return rec.stopAt.Sub(now), nil
		}
		if rec.node.probes != nil {
			// A simulated runtime that can exec (tests): preStop hooks
			// and Killing events as on a real node.
			if err := a.killPod(ctx, pod, rec); err != nil {
				return 0, err
			}
		}
		if err := rec.node.runtime.StopPodSandbox(ctx, rec.sandboxID); err != nil {
			return 0, err
		}
	}
	if rec != nil {
		terminal := pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
		if !terminal {
			// Written here, not through the status manager: the final
			// status must be stored before the pod is deleted.
			a.status.forget(key)
			if err := a.writeStatus(ctx, pod, rec, true); err != nil && !apierrors.IsNotFound(err) {
				return 0, err
			}
		}
		if err := a.teardown(ctx, key, rec); err != nil {
			return 0, err
		}
	}
	err := a.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0), Preconditions: metav1.NewUIDPreconditions(string(pod.UID)),
	})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return 0, nil
	}
	return 0, err
}

// teardown removes a pod's sandbox and forgets it and any status not yet
// written.
func (a *Agent) teardown(ctx context.Context, key cache.ObjectName, rec *podRecord) error {
	a.status.forget(key)
	if rec == nil {
		return nil
	}
	a.forgetProbes(rec)
	if err := rec.node.runtime.StopPodSandbox(ctx, rec.sandboxID); err != nil {
		return err
	}
	if err := rec.node.runtime.RemovePodSandbox(ctx, rec.sandboxID); err != nil {
		return err
	}
	if rec.node.machine != nil {
		a.cleanupRealPod(rec)
		a.teardownVolumes(rec.node, rec.uid)
	}
	a.mu.Lock()
	if a.records[key] == rec {
		delete(a.records, key)
	}
	a.mu.Unlock()
	return nil
}

// writeStatus writes the pod's status as observed in the runtime, if it
// differs from what is stored.
func (a *Agent) writeStatus(ctx context.Context, pod *corev1.Pod, rec *podRecord, terminating bool) error {
	status, err := a.podStatus(ctx, pod, rec, terminating)
	if err != nil {
		return err
	}
	if apiequality.Semantic.DeepEqual(status, pod.Status) {
		return nil
	}
	p := pod.DeepCopy()
	p.Status = status
	_, err = a.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("pod status: %w", err)
	}
	return nil
}
