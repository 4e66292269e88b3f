package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/pkg/node/events"
	"github.com/tinykube/tinykube/pkg/node/prober"
)

// minKillGrace is the least time a container gets between SIGTERM and
// SIGKILL once its preStop hook ran, as in the kubelet.
const minKillGrace = 2 * time.Second

// startProbers gives every real node an event recorder (source
// "kubelet", host the node) and a prober whose result changes re-sync
// the pod. Simulated nodes get neither: they record no events (as kwok's
// do not) and their containers are ready once running. It returns a
// function that flushes and stops the recorders.
func (a *Agent) startProbers(ctx context.Context) func() {
	var stops []func()
	for _, ns := range a.nodes {
		if !a.realNode(ns) {
			continue
		}
		rec, stop := events.NewRecorder(ctx, a.client, ns.name)
		stops = append(stops, stop)
		runner, _ := ns.runtime.(prober.CommandRunner)
		mgr, err := prober.NewManager(ctx, prober.Config{Runner: runner, Recorder: rec, Clock: a.cfg.Clock, Logger: a.log,
			OnChange: func(p types.NamespacedName) { a.podQueue.Add(cache.ObjectName(p)) }})
		if err != nil { // only a missing clock, which Validate rules out
			panic(err)
		}
		ns.recorder, ns.probes = rec, mgr
	}
	return func() {
		for _, stop := range stops {
			stop()
		}
	}
}

// realNode tells whether ns runs real containers: its runtime can run
// commands in them.
func (a *Agent) realNode(ns *nodeState) bool {
	_, ok := ns.runtime.(prober.CommandRunner)
	return ok
}

// containerEvent records an event about container name of pod, on real
// nodes only.
func (a *Agent) containerEvent(rec *podRecord, pod *corev1.Pod, name, eventType, reason, msg string) {
	if r := rec.node.recorder; r != nil {
		r.Event(events.ContainerRef(pod, name), eventType, reason, msg)
	}
}

// podEvent records an event about pod, on real nodes only.
func (a *Agent) podEvent(ns *nodeState, pod *corev1.Pod, eventType, reason, msg string) {
	if ns.recorder != nil {
		ns.recorder.Event(events.PodRef(pod), eventType, reason, msg)
	}
}

// applyProbes sets the containers' ready and started in status from the
// node's probe results (and hands the prober the pod's latest status).
// On a node without a prober, running containers are ready and started.
func (a *Agent) applyProbes(rec *podRecord, pod *corev1.Pod, status *corev1.PodStatus) {
	if rec.node.probes != nil {
		rec.node.probes.UpdatePodStatus(pod, status)
	}
}

// forgetProbes stops the probing of a pod that is gone.
func (a *Agent) forgetProbes(rec *podRecord) {
	if rec != nil && rec.node.probes != nil {
		rec.node.probes.RemovePod(types.UID(rec.uid))
	}
}

// probeKill kills running container c (status st) if its liveness or
// startup probe has failed, as the kubelet does, and reports whether it
// did. The restart, if the restart policy allows one, follows the usual
// path: the container exited.
func (a *Agent) probeKill(ctx context.Context, pod *corev1.Pod, rec *podRecord, c *corev1.Container, st *runtimeapi.ContainerStatus) (bool, error) {
	mgr := rec.node.probes
	if mgr == nil || st.GetState() != runtimeapi.ContainerState_CONTAINER_RUNNING {
		return false, nil
	}
	id := a.containerIDPrefix(rec) + st.Id
	for _, kind := range []prober.Kind{prober.Liveness, prober.Startup} {
		if r, ok := mgr.Result(kind, id); !ok || r != prober.Failure {
			continue
		}
		restart := pod.Spec.RestartPolicy != corev1.RestartPolicyNever || isSidecar(c)
		if c.RestartPolicy != nil && !isSidecar(c) {
			restart = *c.RestartPolicy != corev1.ContainerRestartPolicyNever
		}
		msg := events.ProbeKillMessage(c.Name, strings.ToLower(kind.String()), restart)
		return true, a.killContainer(ctx, pod, rec, c, st.Id, prober.KillGracePeriod(pod, c, kind), msg)
	}
	return false, nil
}

// killContainer stops container id (c of pod) the kubelet's way: a
// Killing event (message msg, "Stopping container <name>" if empty),
// the preStop hook within grace, then StopContainer with what is left
// (at least two seconds): SIGTERM, then SIGKILL.
func (a *Agent) killContainer(ctx context.Context, pod *corev1.Pod, rec *podRecord, c *corev1.Container, id string, grace time.Duration, msg string) error {
	if msg == "" {
		msg = events.StoppingMessage(c.Name)
	}
	a.containerEvent(rec, pod, c.Name, corev1.EventTypeNormal, events.Killing, msg)
	if mgr := rec.node.probes; mgr != nil && grace > 0 {
		grace -= mgr.RunPreStop(ctx, pod, c, id, podIP(rec), grace)
	}
	if grace < minKillGrace {
		grace = minKillGrace
	}
	if err := rec.node.runtime.StopContainer(ctx, id, int64((grace+time.Second-1)/time.Second)); err != nil {
		return fmt.Errorf("stopping container %s: %w", c.Name, err)
	}
	return nil
}

// postStart runs c's postStart hook right after the container (id)
// started; when it fails the container is killed ("FailedPostStartHook")
// and the returned error says why.
func (a *Agent) postStart(ctx context.Context, pod *corev1.Pod, rec *podRecord, c *corev1.Container, id string) error {
	mgr := rec.node.probes
	if mgr == nil || c.Lifecycle == nil || c.Lifecycle.PostStart == nil {
		return nil
	}
	msg, err := mgr.RunPostStart(ctx, pod, c, id, podIP(rec))
	if err == nil {
		return nil
	}
	if kerr := a.killContainer(ctx, pod, rec, c, id, prober.KillGracePeriod(pod, c, prober.NoProbe), "FailedPostStartHook"); kerr != nil {
		return errors.Join(err, kerr)
	}
	return fmt.Errorf("%s", msg)
}

func podIP(rec *podRecord) string {
	if len(rec.ips) > 0 {
		return rec.ips[0]
	}
	return ""
}

// killPod kills every running container of a pod being deleted, in
// parallel (each with its preStop hook and the deletion's grace period),
// and waits for them.
func (a *Agent) killPod(ctx context.Context, pod *corev1.Pod, rec *podRecord) error {
	type kill struct {
		c  *corev1.Container
		id string
	}
	var kills []kill
	for _, list := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for i := range list {
			cr := rec.containers[list[i].Name]
			if cr == nil || cr.id == "" {
				continue
			}
			resp, err := rec.node.runtime.ContainerStatus(ctx, cr.id, false)
			if err != nil {
				return fmt.Errorf("container %s status: %w", list[i].Name, err)
			}
			if resp.GetStatus().GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING {
				kills = append(kills, kill{&list[i], cr.id})
			}
		}
	}
	errs := make(chan error, len(kills))
	for _, k := range kills {
		go func() {
			errs <- a.killContainer(ctx, pod, rec, k.c, k.id, prober.KillGracePeriod(pod, k.c, prober.NoProbe), "")
		}()
	}
	var all []error
	for range kills {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}

// started tells whether running container c (status st) has started:
// its startup probe, if it has one on a node that probes, succeeded. A
// sidecar must have started before the next init container runs.
func (a *Agent) started(rec *podRecord, c *corev1.Container, st *runtimeapi.ContainerStatus) bool {
	if rec.node.probes == nil || c.StartupProbe == nil {
		return true
	}
	r, ok := rec.node.probes.Result(prober.Startup, a.containerIDPrefix(rec)+st.GetId())
	return ok && r == prober.Success
}

// specOf is the spec of pod's container (or init container) name.
func specOf(pod *corev1.Pod, name string) *corev1.Container {
	for _, list := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}
