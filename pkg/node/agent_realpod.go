package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/pkg/node/images"
)

// A real node's pods: what the kubelet puts in the CRI sandbox and
// container configs beyond what a simulated runtime needs, image pulls,
// and graceful termination with the pod's grace period.

// imagePullRetry is how long a container whose image could not be
// pulled waits before the next try.
const imagePullRetry = 10 * time.Second

// podLogDir is the pod's log directory, as the kubelet lays out
// /var/log/pods: <DataDir>/pods/<namespace>_<name>_<uid>.
func (a *Agent) podLogDir(pod *corev1.Pod) string {
	return filepath.Join(a.cfg.Real.DataDir, "pods", pod.Namespace+"_"+pod.Name+"_"+string(pod.UID))
}

// podCgroupParent is the pod's cgroup (cgroupfs): <CgroupRoot>/pod<uid>.
func (a *Agent) podCgroupParent(pod *corev1.Pod) string { return a.cgroupParent(string(pod.UID)) }

// cgroupParent is the cgroup of the pod with uid.
func (a *Agent) cgroupParent(uid string) string {
	root := a.cfg.Real.CgroupRoot
	if root == "" {
		root = "/tinykube"
	}
	return filepath.Join(root, "pod"+uid)
}

// realSandboxConfig adds to cfg the log directory, DNS, port mappings,
// cgroup parent and namespace options of pod.
func (a *Agent) realSandboxConfig(cfg *runtimeapi.PodSandboxConfig, pod *corev1.Pod) error {
	if pod.Spec.HostNetwork {
		cfg.Hostname = "" // the node's: a host-network pod has no UTS namespace of its own
	}
	cfg.LogDirectory = a.podLogDir(pod)
	if err := os.MkdirAll(cfg.LogDirectory, 0o755); err != nil {
		return fmt.Errorf("pod log directory: %w", err)
	}
	dns, err := a.dnsConfig(pod)
	if err != nil {
		return err
	}
	cfg.DnsConfig = dns
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.HostPort == 0 {
				continue
			}
			proto := runtimeapi.Protocol_TCP
			switch p.Protocol {
			case corev1.ProtocolUDP:
				proto = runtimeapi.Protocol_UDP
			case corev1.ProtocolSCTP:
				proto = runtimeapi.Protocol_SCTP
			}
			cfg.PortMappings = append(cfg.PortMappings, &runtimeapi.PortMapping{
				Protocol: proto, ContainerPort: p.ContainerPort, HostPort: p.HostPort, HostIp: p.HostIP})
		}
	}
	sc := &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: namespaceOptions(pod), Privileged: hasPrivileged(pod)}
	sc.RunAsUser, sc.RunAsGroup, sc.SupplementalGroups = podIDs(pod.Spec.SecurityContext)
	if psc := pod.Spec.SecurityContext; psc != nil {
		for _, s := range psc.Sysctls {
			if cfg.Linux == nil {
				cfg.Linux = &runtimeapi.LinuxPodSandboxConfig{}
			}
			if cfg.Linux.Sysctls == nil {
				cfg.Linux.Sysctls = map[string]string{}
			}
			cfg.Linux.Sysctls[s.Name] = s.Value
		}
	}
	if cfg.Linux == nil {
		cfg.Linux = &runtimeapi.LinuxPodSandboxConfig{}
	}
	cfg.Linux.CgroupParent = a.podCgroupParent(pod)
	cfg.Linux.SecurityContext = sc
	return nil
}

// hasPrivileged reports whether any of pod's containers (init,
// regular or ephemeral) is privileged: its sandbox must be too, or the
// runtime refuses the container ("no privileged container allowed in
// sandbox"), as the kubelet's sandbox config says.
func hasPrivileged(pod *corev1.Pod) bool {
	for _, c := range pod.Spec.InitContainers {
		if c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged {
			return true
		}
	}
	for _, c := range pod.Spec.Containers {
		if c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged {
			return true
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged {
			return true
		}
	}
	return false
}

func namespaceOptions(pod *corev1.Pod) *runtimeapi.NamespaceOption {
	ns := &runtimeapi.NamespaceOption{Pid: runtimeapi.NamespaceMode_CONTAINER}
	if pod.Spec.HostNetwork {
		ns.Network = runtimeapi.NamespaceMode_NODE
	}
	if pod.Spec.HostPID {
		ns.Pid = runtimeapi.NamespaceMode_NODE
	} else if pod.Spec.ShareProcessNamespace != nil && *pod.Spec.ShareProcessNamespace {
		ns.Pid = runtimeapi.NamespaceMode_POD
	}
	if pod.Spec.HostIPC {
		ns.Ipc = runtimeapi.NamespaceMode_NODE
	}
	return ns
}

// podIDs is the pod-level user, group and supplemental groups (fsGroup
// included) that the sandbox and every container run with.
func podIDs(psc *corev1.PodSecurityContext) (user, group *runtimeapi.Int64Value, groups []int64) {
	if psc == nil {
		return nil, nil, nil
	}
	if psc.RunAsUser != nil {
		user = &runtimeapi.Int64Value{Value: *psc.RunAsUser}
	}
	if psc.RunAsGroup != nil {
		group = &runtimeapi.Int64Value{Value: *psc.RunAsGroup}
	}
	groups = slices.Clone(psc.SupplementalGroups) // never append into the pod's own slice
	if psc.FSGroup != nil {
		groups = append(groups, *psc.FSGroup)
	}
	return user, group, groups
}

// realContainerConfig adds to cfg the container's log path, resources
// and security context.
func (a *Agent) realContainerConfig(cfg *runtimeapi.ContainerConfig, pod *corev1.Pod, c *corev1.Container, rec *podRecord) error {
	cfg.LogPath = filepath.Join(c.Name, fmt.Sprintf("%d.log", cfg.Metadata.Attempt))
	if err := os.MkdirAll(filepath.Join(rec.sandbox.LogDirectory, c.Name), 0o755); err != nil {
		return fmt.Errorf("container log directory: %w", err)
	}
	cfg.Stdin, cfg.StdinOnce, cfg.Tty = c.Stdin, c.StdinOnce, c.TTY
	lc := &runtimeapi.LinuxContainerConfig{Resources: containerResources(c)}
	sc := &runtimeapi.LinuxContainerSecurityContext{NamespaceOptions: namespaceOptions(pod)}
	if t := ephemeralTarget(pod, c.Name); t != "" && sc.NamespaceOptions.Pid == runtimeapi.NamespaceMode_CONTAINER {
		// kubectl debug --target: the ephemeral container joins the
		// target container's process namespace (ensureEphemeral waits
		// for the target to exist).
		if tr := rec.containers[t]; tr != nil && tr.id != "" {
			sc.NamespaceOptions.Pid, sc.NamespaceOptions.TargetId = runtimeapi.NamespaceMode_TARGET, tr.id
		}
	}
	sc.RunAsUser, sc.RunAsGroup, sc.SupplementalGroups = podIDs(pod.Spec.SecurityContext)
	if csc := c.SecurityContext; csc != nil {
		if csc.RunAsUser != nil {
			sc.RunAsUser = &runtimeapi.Int64Value{Value: *csc.RunAsUser}
		}
		if csc.RunAsGroup != nil {
			sc.RunAsGroup = &runtimeapi.Int64Value{Value: *csc.RunAsGroup}
		}
		sc.Privileged = csc.Privileged != nil && *csc.Privileged
		sc.ReadonlyRootfs = csc.ReadOnlyRootFilesystem != nil && *csc.ReadOnlyRootFilesystem
		sc.NoNewPrivs = csc.AllowPrivilegeEscalation != nil && !*csc.AllowPrivilegeEscalation
		if caps := csc.Capabilities; caps != nil {
			sc.Capabilities = &runtimeapi.Capability{}
			for _, cp := range caps.Add {
				sc.Capabilities.AddCapabilities = append(sc.Capabilities.AddCapabilities, string(cp))
			}
			for _, cp := range caps.Drop {
				sc.Capabilities.DropCapabilities = append(sc.Capabilities.DropCapabilities, string(cp))
			}
		}
	}
	lc.SecurityContext = sc
	cfg.Linux = lc
	return nil
}

// containerResources maps requests and limits to cgroup settings as the
// kubelet does: cpu shares from the request (2 minimum), a CFS quota
// from the limit, a memory limit.
func containerResources(c *corev1.Container) *runtimeapi.LinuxContainerResources {
	r := &runtimeapi.LinuxContainerResources{CpuShares: 2}
	req, lim := c.Resources.Requests, c.Resources.Limits
	cpuReq, ok := req[corev1.ResourceCPU]
	if !ok {
		cpuReq, ok = lim[corev1.ResourceCPU]
	}
	if ok {
		r.CpuShares = max(2, cpuReq.MilliValue()*1024/1000)
	}
	if cpu, ok := lim[corev1.ResourceCPU]; ok {
		r.CpuPeriod = 100000
		r.CpuQuota = max(1000, cpu.MilliValue()*r.CpuPeriod/1000)
	}
	if mem, ok := lim[corev1.ResourceMemory]; ok {
		r.MemoryLimitInBytes = mem.Value()
	}
	return r
}

// pullImage makes sure c's image is on the node, as the kubelet's image
// manager does (pkg/node/images: pull policy, pull secrets, back-off,
// events), and returns its ID. When it cannot, it returns the waiting
// state the container reports (ErrImagePull, ImagePullBackOff,
// ErrImageNeverPull, InvalidImageName…) and when to sync the pod again.
func (a *Agent) pullImage(ctx context.Context, rec *podRecord, pod *corev1.Pod, c *corev1.Container) (string, *corev1.ContainerStateWaiting, time.Duration) {
	m := a.imageManager(rec.node)
	if m == nil {
		return c.Image, nil, 0 // a runtime without images (simulated)
	}
	ref, err := m.EnsureImage(ctx, pod, c, rec.sandbox)
	if err == nil {
		return ref, nil, 0
	}
	var ie *images.Error
	if !errors.As(err, &ie) {
		return "", &corev1.ContainerStateWaiting{Reason: images.ErrImagePull.Error(), Message: err.Error()}, imagePullRetry
	}
	retry := ie.RetryAfter
	if retry <= 0 {
		retry = imagePullRetry
	}
	return "", &corev1.ContainerStateWaiting{Reason: ie.Reason.Error(), Message: ie.Message}, retry
}

// imageManager is ns's image manager, made on first use; nil when its
// runtime has no image service.
func (a *Agent) imageManager(ns *nodeState) *images.Manager {
	ns.imageManagerOnce.Do(func() {
		svc, ok := ns.runtime.(images.Service)
		recorder := ns.recorder
		if !ok {
			if !a.simulated(ns) {
				return
			}
			// A simulated node pulls only the images it cannot get
			// (simchecks.go), and fails.
			svc, recorder = failingImageService{}, a.simRecorder(ns)
		}
		ns.imageManager = images.NewManager(images.Config{
			Service: svc,
			Secret: func(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
				return a.client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
			},
			Recorder: recorder, Clock: a.cfg.Clock, Logger: a.log,
		})
	})
	return ns.imageManager
}

// stopReal stops a real pod's containers with its grace period — SIGTERM,
// then SIGKILL when the period ends — in the background, so that a long
// grace period holds up no pod worker. It reports whether they have
// stopped; when they have, the pod's key is synced again.
func (a *Agent) stopReal(ctx context.Context, key cache.ObjectName, pod *corev1.Pod, rec *podRecord) bool {
	if rec.stopped.Load() {
		return true
	}
	if rec.stopping {
		return false
	}
	rec.stopping = true
	grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if g := pod.DeletionGracePeriodSeconds; g != nil {
		grace = *g
	} else if g := pod.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = *g
	}
	type stop struct {
		c  *corev1.Container
		id string
	}
	var stops []stop
	for name, cr := range rec.containers {
		if cr.id != "" {
			stops = append(stops, stop{specOf(pod, name), cr.id})
		}
	}
	rt := rec.node.runtime
	go func() {
		var wg sync.WaitGroup
		for _, s := range stops {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				st, serr := rt.ContainerStatus(ctx, s.id, false)
				if s.c != nil && serr == nil && st.GetStatus().GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING {
					// The Killing event and the preStop hook, then
					// SIGTERM with what is left of the grace period.
					err = a.killContainer(ctx, pod, rec, s.c, s.id, time.Duration(grace)*time.Second, "")
				} else {
					err = rt.StopContainer(ctx, s.id, grace)
				}
				if err != nil && ctx.Err() == nil {
					a.log.Warn("node: stopping container", "pod", key, "container", s.id, "err", err)
				}
			}()
		}
		wg.Wait()
		if err := rt.StopPodSandbox(ctx, rec.sandboxID); err != nil && ctx.Err() == nil {
			a.log.Warn("node: stopping sandbox", "pod", key, "err", err)
		}
		rec.stopped.Store(true)
		a.podQueue.Add(key)
	}()
	return false
}

// cleanupRealPod removes what the node made for a pod outside the
// runtime once its sandbox is gone: its log directory and its (now
// empty) cgroups.
func (a *Agent) cleanupRealPod(rec *podRecord) {
	if dir := rec.sandbox.GetLogDirectory(); dir != "" {
		_ = os.RemoveAll(dir)
	}
	if parent := rec.sandbox.GetLinux().GetCgroupParent(); parent != "" {
		RemoveCgroups(parent)
	}
}

// RemoveCgroups removes the cgroup path (cgroupfs, e.g. "/tinykube/n1")
// and the cgroups below it from every hierarchy, where they are empty
// (no process left): for a node's cleanup once its pods are gone.
func RemoveCgroups(path string) {
	if path == "" || path == "/" {
		return
	}
	hierarchies, _ := filepath.Glob("/sys/fs/cgroup/*")
	for _, h := range append(hierarchies, "/sys/fs/cgroup") {
		top := filepath.Join(h, path)
		var dirs []string
		_ = filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- { // deepest first
			_ = os.Remove(dirs[i]) // cgroupfs: rmdir works on an empty cgroup
		}
		if parent := filepath.Dir(path); parent != "/" {
			_ = os.Remove(filepath.Join(h, parent)) // shared with other nodes: only if empty
		}
	}
}
