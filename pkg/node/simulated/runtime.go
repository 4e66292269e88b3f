package simulated

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/pkg/node"
)

// Name and version the simulated runtime reports.
const (
	RuntimeName    = "tinykube-sim"
	RuntimeVersion = "1.0"
)

// Runtime is one simulated node's runtime.
type Runtime struct {
	host *Host

	mu         sync.Mutex
	cidrs      []netip.Prefix
	used       map[netip.Addr]bool
	sandboxes  map[string]*sandbox
	containers map[string]*container
	subs       map[chan *runtimeapi.ContainerEventResponse]struct{}
}

var _ node.Runtime = (*Runtime)(nil)

type sandbox struct {
	id        string
	config    *runtimeapi.PodSandboxConfig
	ips       []netip.Addr
	createdAt time.Time
	ready     bool
}

type container struct {
	id        string
	sandbox   *sandbox
	config    *runtimeapi.ContainerConfig
	state     runtimeapi.ContainerState
	createdAt time.Time
	startedAt time.Time
	finishAt  time.Time
	exitCode  int32
	reason    string
	// exitAfter < 0: runs until stopped.
	exitAfter time.Duration
	exitCode0 int32
}

// NewRuntime returns a runtime for one simulated node.
func (h *Host) NewRuntime() *Runtime {
	return &Runtime{
		host: h, used: map[netip.Addr]bool{},
		sandboxes: map[string]*sandbox{}, containers: map[string]*container{},
		subs: map[chan *runtimeapi.ContainerEventResponse]struct{}{},
	}
}

func notFound(kind, id string) error {
	return status.Errorf(codes.NotFound, "%s %q not found", kind, id)
}

// Version reports tinykube-sim 1.0.
func (r *Runtime) Version(context.Context, string) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{Version: "0.1.0", RuntimeName: RuntimeName, RuntimeVersion: RuntimeVersion, RuntimeApiVersion: "v1"}, nil
}

// UpdateRuntimeConfig sets the pod CIDRs new sandboxes take IPs from.
func (r *Runtime) UpdateRuntimeConfig(_ context.Context, cfg *runtimeapi.RuntimeConfig) error {
	var cidrs []netip.Prefix
	for _, s := range strings.Split(cfg.GetNetworkConfig().GetPodCidr(), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "pod CIDR %q: %v", s, err)
		}
		cidrs = append(cidrs, p.Masked())
	}
	r.mu.Lock()
	r.cidrs = cidrs
	r.mu.Unlock()
	return nil
}

// RunPodSandbox allocates one IP per pod CIDR (the first free address
// after the network and gateway addresses).
func (r *Runtime) RunPodSandbox(_ context.Context, config *runtimeapi.PodSandboxConfig, _ string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.cidrs) == 0 {
		return "", status.Error(codes.FailedPrecondition, "no pod CIDR configured (UpdateRuntimeConfig)")
	}
	sb := &sandbox{id: r.host.newID(), config: config, createdAt: r.host.clock.Now(), ready: true}
	for _, cidr := range r.cidrs {
		ip, err := r.allocateLocked(cidr)
		if err != nil {
			r.releaseLocked(sb.ips)
			return "", err
		}
		sb.ips = append(sb.ips, ip)
	}
	r.sandboxes[sb.id] = sb
	return sb.id, nil
}

func (r *Runtime) allocateLocked(cidr netip.Prefix) (netip.Addr, error) {
	ip := cidr.Addr().Next().Next() // skip the network and gateway addresses
	for ; cidr.Contains(ip); ip = ip.Next() {
		if !r.used[ip] {
			r.used[ip] = true
			return ip, nil
		}
	}
	return netip.Addr{}, status.Errorf(codes.ResourceExhausted, "no free IP in %s", cidr)
}

func (r *Runtime) releaseLocked(ips []netip.Addr) {
	for _, ip := range ips {
		delete(r.used, ip)
	}
}

// StopPodSandbox stops the sandbox's containers.
func (r *Runtime) StopPodSandbox(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	sb := r.sandboxes[id]
	if sb == nil {
		return nil
	}
	for _, c := range r.containers {
		if c.sandbox == sb {
			r.stopLocked(c, 0, "Completed")
		}
	}
	sb.ready = false
	return nil
}

// RemovePodSandbox removes the sandbox, its containers and its IPs.
func (r *Runtime) RemovePodSandbox(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	sb := r.sandboxes[id]
	if sb == nil {
		return nil
	}
	for cid, c := range r.containers {
		if c.sandbox == sb {
			delete(r.containers, cid)
		}
	}
	r.releaseLocked(sb.ips)
	delete(r.sandboxes, id)
	return nil
}

// PodSandboxStatus reports the sandbox with its IPs.
func (r *Runtime) PodSandboxStatus(_ context.Context, id string, _ bool) (*runtimeapi.PodSandboxStatusResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sb := r.sandboxes[id]
	if sb == nil {
		return nil, notFound("pod sandbox", id)
	}
	return &runtimeapi.PodSandboxStatusResponse{Status: sandboxStatus(sb)}, nil
}

func sandboxStatus(sb *sandbox) *runtimeapi.PodSandboxStatus {
	st := &runtimeapi.PodSandboxStatus{
		Id: sb.id, Metadata: sb.config.GetMetadata(), CreatedAt: nanos(sb.createdAt),
		Labels: sb.config.GetLabels(), Annotations: sb.config.GetAnnotations(),
		State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY,
	}
	if sb.ready {
		st.State = runtimeapi.PodSandboxState_SANDBOX_READY
	}
	if len(sb.ips) > 0 {
		st.Network = &runtimeapi.PodSandboxNetworkStatus{Ip: sb.ips[0].String()}
		for _, ip := range sb.ips[1:] {
			st.Network.AdditionalIps = append(st.Network.AdditionalIps, &runtimeapi.PodIP{Ip: ip.String()})
		}
	}
	return st
}

// CreateContainer records a container; its exit behaviour comes from the
// sim.tinykube.io annotations on the container config, else on the
// sandbox config.
func (r *Runtime) CreateContainer(_ context.Context, sandboxID string, config *runtimeapi.ContainerConfig, _ *runtimeapi.PodSandboxConfig) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sb := r.sandboxes[sandboxID]
	if sb == nil {
		return "", notFound("pod sandbox", sandboxID)
	}
	after, code, err := exitBehaviour(config.GetAnnotations(), sb.config.GetAnnotations())
	if err != nil {
		return "", status.Error(codes.InvalidArgument, err.Error())
	}
	c := &container{
		id: r.host.newID(), sandbox: sb, config: config, state: runtimeapi.ContainerState_CONTAINER_CREATED,
		createdAt: r.host.clock.Now(), exitAfter: after, exitCode0: code,
	}
	r.containers[c.id] = c
	return c.id, nil
}

// exitBehaviour reads exit-after/exit-code, container annotations first.
func exitBehaviour(own, pod map[string]string) (time.Duration, int32, error) {
	src := pod
	if _, ok := own[node.AnnotationExitAfter]; ok {
		src = own
	}
	v, ok := src[node.AnnotationExitAfter]
	if !ok {
		return -1, 0, nil
	}
	after, err := time.ParseDuration(v)
	if err != nil || after < 0 {
		return 0, 0, fmt.Errorf("annotation %s=%q: want a duration like 5s", node.AnnotationExitAfter, v)
	}
	code := int64(0)
	if s, ok := src[node.AnnotationExitCode]; ok {
		if code, err = strconv.ParseInt(s, 10, 32); err != nil {
			return 0, 0, fmt.Errorf("annotation %s=%q: want an integer", node.AnnotationExitCode, s)
		}
	}
	return after, int32(code), nil
}

// StartContainer runs a created container; one with exit-after 0 has
// exited by the time StartContainer returns.
func (r *Runtime) StartContainer(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.containers[id]
	if c == nil {
		return notFound("container", id)
	}
	if c.state != runtimeapi.ContainerState_CONTAINER_CREATED {
		return status.Errorf(codes.FailedPrecondition, "container %s is not in created state", id)
	}
	now := r.host.clock.Now()
	c.state, c.startedAt = runtimeapi.ContainerState_CONTAINER_RUNNING, now
	switch {
	case c.exitAfter == 0:
		r.exitLocked(c, now, c.exitCode0, "")
	case c.exitAfter > 0:
		r.host.schedule(&exit{at: now.Add(c.exitAfter), rt: r, id: c.id, code: c.exitCode0})
	}
	return nil
}

// fire ends a container whose exit came due and tells subscribers.
func (r *Runtime) fire(ctx context.Context, e *exit) {
	r.mu.Lock()
	c := r.containers[e.id]
	if c == nil || c.state != runtimeapi.ContainerState_CONTAINER_RUNNING {
		r.mu.Unlock()
		return
	}
	r.exitLocked(c, e.at, e.code, "")
	ev := &runtimeapi.ContainerEventResponse{
		ContainerId: c.id, ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT,
		CreatedAt: nanos(e.at), PodSandboxStatus: sandboxStatus(c.sandbox),
		ContainersStatuses: []*runtimeapi.ContainerStatus{containerStatus(c)},
	}
	subs := make([]chan *runtimeapi.ContainerEventResponse, 0, len(r.subs))
	for ch := range r.subs {
		subs = append(subs, ch)
	}
	r.mu.Unlock()
	for _, ch := range subs {
		select {
		case ch <- ev:
		case <-ctx.Done():
			return
		}
	}
}

func (r *Runtime) exitLocked(c *container, at time.Time, code int32, reason string) {
	if reason == "" {
		reason = "Completed"
		if code != 0 {
			reason = "Error"
		}
	}
	c.state, c.finishAt, c.exitCode, c.reason = runtimeapi.ContainerState_CONTAINER_EXITED, at, code, reason
}

func (r *Runtime) stopLocked(c *container, code int32, reason string) {
	switch c.state {
	case runtimeapi.ContainerState_CONTAINER_RUNNING:
		r.exitLocked(c, r.host.clock.Now(), code, reason)
	case runtimeapi.ContainerState_CONTAINER_CREATED:
		c.state = runtimeapi.ContainerState_CONTAINER_EXITED
	}
}

// StopContainer stops a container at once (a simulated process exits
// cleanly on SIGTERM, with code 0).
func (r *Runtime) StopContainer(_ context.Context, id string, _ int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.containers[id]
	if c == nil {
		return notFound("container", id)
	}
	r.stopLocked(c, 0, "Completed")
	return nil
}

// UpdateContainerResources records a running or created container's new
// resources in its config (what ContainerStatus reports), as a real
// runtime changes its cgroups; an exited container cannot be updated.
func (r *Runtime) UpdateContainerResources(_ context.Context, id string, resources *runtimeapi.ContainerResources) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.containers[id]
	if c == nil {
		return notFound("container", id)
	}
	if c.state == runtimeapi.ContainerState_CONTAINER_EXITED {
		return status.Errorf(codes.FailedPrecondition, "container %q is not running", id)
	}
	if resources.GetLinux() != nil {
		if c.config.Linux == nil {
			c.config.Linux = &runtimeapi.LinuxContainerConfig{}
		}
		c.config.Linux.Resources = resources.GetLinux()
	}
	return nil
}

// RemoveContainer forgets a container.
func (r *Runtime) RemoveContainer(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.containers, id)
	return nil
}

// ListContainers lists containers matching filter (ID, sandbox, state,
// labels).
func (r *Runtime) ListContainers(_ context.Context, filter *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*runtimeapi.Container
	for _, c := range r.containers {
		if f := filter; f != nil {
			if (f.Id != "" && f.Id != c.id) || (f.PodSandboxId != "" && f.PodSandboxId != c.sandbox.id) ||
				(f.State != nil && f.State.State != c.state) || !labelsMatch(c.config.GetLabels(), f.LabelSelector) {
				continue
			}
		}
		out = append(out, &runtimeapi.Container{
			Id: c.id, PodSandboxId: c.sandbox.id, Metadata: c.config.GetMetadata(), Image: c.config.GetImage(),
			ImageRef: imageRef(c.config.GetImage().GetImage()), State: c.state, CreatedAt: nanos(c.createdAt),
			Labels: c.config.GetLabels(), Annotations: c.config.GetAnnotations(),
		})
	}
	return out, nil
}

func labelsMatch(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// ContainerStatus reports a container's state and times.
func (r *Runtime) ContainerStatus(_ context.Context, id string, _ bool) (*runtimeapi.ContainerStatusResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.containers[id]
	if c == nil {
		return nil, notFound("container", id)
	}
	return &runtimeapi.ContainerStatusResponse{Status: containerStatus(c)}, nil
}

func containerStatus(c *container) *runtimeapi.ContainerStatus {
	st := &runtimeapi.ContainerStatus{
		Id: c.id, Metadata: c.config.GetMetadata(), State: c.state, CreatedAt: nanos(c.createdAt),
		Image: c.config.GetImage(), ImageRef: imageRef(c.config.GetImage().GetImage()), ImageId: imageRef(c.config.GetImage().GetImage()),
		Labels: c.config.GetLabels(), Annotations: c.config.GetAnnotations(),
		Resources: &runtimeapi.ContainerResources{Linux: c.config.GetLinux().GetResources()},
	}
	if !c.startedAt.IsZero() {
		st.StartedAt = nanos(c.startedAt)
	}
	if c.state == runtimeapi.ContainerState_CONTAINER_EXITED {
		st.FinishedAt, st.ExitCode, st.Reason = nanos(c.finishAt), c.exitCode, c.reason
	}
	return st
}

// imageRef makes a stable digest reference for an image name.
func imageRef(image string) string {
	sum := sha256.Sum256([]byte(image))
	name := image
	if i := strings.LastIndexAny(name, ":@"); i > strings.LastIndex(name, "/") {
		name = name[:i]
	}
	return name + "@sha256:" + hex.EncodeToString(sum[:])
}

// GetContainerEvents streams exits to ch until ctx ends.
func (r *Runtime) GetContainerEvents(ctx context.Context, ch chan *runtimeapi.ContainerEventResponse, _ func(runtimeapi.RuntimeService_GetContainerEventsClient)) error {
	r.mu.Lock()
	r.subs[ch] = struct{}{}
	r.mu.Unlock()
	<-ctx.Done()
	r.mu.Lock()
	delete(r.subs, ch)
	r.mu.Unlock()
	return nil
}
