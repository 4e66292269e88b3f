package node

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/pkg/node/envvars"
	"github.com/tinykube/tinykube/pkg/node/volumes"
)

// A real node's volumes and container environments (pkg/node/volumes,
// pkg/node/envvars): a pod's volumes are set up once its sandbox runs and
// before its first container is created; while one cannot be (a missing
// ConfigMap, an unbound claim) the pod waits in ContainerCreating, a
// FailedMount event says why, and the sync is retried with a growing
// delay. A running pod's configMap, secret, downwardAPI and projected
// volumes are re-projected every VolumeResync so that updates reach its
// containers; the pod's directory goes with its sandbox.

const (
	// volumeResync is how often a running pod's projected volumes are
	// refreshed (the kubelet's sync period is a minute; shorter here so
	// that a ConfigMap change shows within seconds).
	volumeResync = 10 * time.Second
	// mountRetry and mountRetryMax bound the delay between attempts to
	// set up volumes that are not ready.
	mountRetry, mountRetryMax = time.Second, 30 * time.Second
	// configRetry is the delay before retrying a container whose
	// environment could not be resolved (CreateContainerConfigError).
	configRetry = 2 * time.Second
)

// volumeState is what a pod record keeps about its volumes.
type volumeState struct {
	ready      bool
	lastSync   time.Time
	retry      time.Duration
	lastFailed string
}

// newVolumeManager builds a real node's volume manager: pods' volumes
// under its data dir (pods/<uid>/volumes; the logs' directories there are
// <namespace>_<name>_<uid>, so they never meet).
func newVolumeManager(cfg Config, ns *nodeState, a *Agent) (*volumes.Manager, error) {
	return volumes.New(volumes.Config{RootDir: cfg.Real.DataDir, Client: a.client, Getter: a.objects, Allocatable: ns.machine.allocatable, Clock: cfg.Clock})
}

// ensureVolumes sets up (or, when due, refreshes) pod's volumes. It
// reports whether they are ready and, if not or when the next refresh is
// due, after how long to sync again.
func (a *Agent) ensureVolumes(ctx context.Context, pod *corev1.Pod, rec *podRecord) (bool, time.Duration) {
	vm := rec.node.volumes
	if vm == nil {
		if a.simulated(rec.node) {
			return a.simulatedVolumes(ctx, pod, rec)
		}
		return true, 0
	}
	vs := &rec.volumes
	now := a.cfg.Clock.Now()
	if vs.ready {
		if since := now.Sub(vs.lastSync); since < volumeResync {
			return true, volumeResync - since
		}
		if err := vm.Update(ctx, pod); err != nil {
			a.log.Info("node: refreshing volumes", "pod", podRef(pod), "err", err)
		}
		vs.lastSync = now
		return true, volumeResync
	}
	err := vm.SetUp(ctx, pod)
	if err == nil {
		vs.ready, vs.lastSync, vs.retry, vs.lastFailed = true, now, 0, ""
		return true, volumeResync
	}
	return false, a.mountFailed(rec.node, pod, vs, err, mountRetryMax)
}

func podRef(pod *corev1.Pod) string { return pod.Namespace + "/" + pod.Name }

// realContainerEnv computes container c's environment and mounts and
// expands $(VAR) in its command and args. An error is the reason the
// container cannot be created yet (CreateContainerConfigError).
func (a *Agent) realContainerEnv(ctx context.Context, cfg *runtimeapi.ContainerConfig, pod *corev1.Pod, c *corev1.Container, rec *podRecord) error {
	var services []*corev1.Service
	if a.services != nil {
		var err error
		if services, err = a.services.List(labels.Everything()); err != nil {
			return err
		}
	}
	var hostIPs []string
	if rec.node.ip.IsValid() {
		hostIPs = []string{rec.node.ip.String()}
	}
	res, err := envvars.Resolve(ctx, envvars.Input{
		Pod: pod, Container: c, PodIPs: rec.ips, HostIPs: hostIPs, Allocatable: rec.node.machine.allocatable,
		Services: services, Getter: a.objects,
	})
	if err != nil {
		return err
	}
	for _, msg := range res.Skipped {
		a.podEvent(rec.node, pod, corev1.EventTypeWarning, "InvalidEnvironmentVariableNames", msg)
	}
	cfg.Envs = res.Env
	lookup := envvars.Lookup(res.Env)
	expand := func(in []string) []string {
		if in == nil {
			return nil
		}
		out := make([]string, len(in))
		for i, s := range in {
			out[i] = envvars.Expand(s, lookup)
		}
		return out
	}
	cfg.Command, cfg.Args = expand(c.Command), expand(c.Args)
	if rec.node.volumes != nil {
		mounts, err := rec.node.volumes.Mounts(pod, c, lookup)
		if err != nil {
			return err
		}
		cfg.Mounts = append(cfg.Mounts, mounts...)
	}
	term, err := a.terminationMessageMount(pod, c, cfg.GetMetadata().GetAttempt(), rec)
	if err != nil {
		return err
	}
	if term != nil {
		cfg.Mounts = append(cfg.Mounts, term)
	}
	hosts, err := a.etcHostsMount(pod, c, rec)
	if err != nil {
		return err
	}
	if hosts != nil {
		cfg.Mounts = append(cfg.Mounts, hosts)
	}
	return nil
}

// teardownVolumes removes pod uid's volumes from its node.
func (a *Agent) teardownVolumes(ns *nodeState, uid types.UID) {
	if ns == nil || ns.volumes == nil {
		return
	}
	if err := ns.volumes.Teardown(uid); err != nil {
		a.log.Error("node: removing pod volumes", "uid", uid, "err", err)
	}
}

// cleanupOrphanVolumes removes the volumes of pods this node no longer
// runs (deleted while the agent was down).
func (a *Agent) cleanupOrphanVolumes() {
	for _, ns := range a.nodes {
		if ns.volumes == nil {
			continue
		}
		pods, err := a.pods.List(labels.Everything())
		if err != nil {
			continue
		}
		live := make(map[types.UID]bool, len(pods))
		for _, p := range pods {
			live[p.UID] = true
		}
		if err := ns.volumes.CleanupOrphans(func(uid types.UID) bool { return live[uid] }); err != nil {
			a.log.Error("node: removing orphaned pod volumes", "err", err)
		}
	}
}
