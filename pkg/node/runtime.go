package node

import (
	"context"
	"errors"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/pkg/node/images"
)

// Runtime is what the agent needs from a container runtime: a subset of
// the CRI RuntimeService (k8s.io/cri-api/pkg/apis), with the same method
// signatures, so that a CRI client for containerd satisfies it as is and
// the simulated runtime (pkg/node/simulated) is just one implementation.
//
// The agent calls a Runtime from several goroutines at once, but never
// for the same pod sandbox concurrently. Implementations must be safe for
// concurrent use.
type Runtime interface {
	// Version names the runtime; the agent reports it as the node's
	// containerRuntimeVersion ("<RuntimeName>://<RuntimeVersion>") and
	// prefixes container IDs with "<RuntimeName>://".
	Version(ctx context.Context, apiVersion string) (*runtimeapi.VersionResponse, error)
	// UpdateRuntimeConfig hands the runtime the node's podCIDR(s); pod IPs
	// come from it (through CNI for a real runtime).
	UpdateRuntimeConfig(ctx context.Context, cfg *runtimeapi.RuntimeConfig) error

	// RunPodSandbox creates and starts a pod's sandbox (its network
	// namespace and IP) and returns its ID.
	RunPodSandbox(ctx context.Context, config *runtimeapi.PodSandboxConfig, runtimeHandler string) (string, error)
	// StopPodSandbox stops every container in the sandbox; idempotent.
	StopPodSandbox(ctx context.Context, podSandboxID string) error
	// RemovePodSandbox removes the sandbox and its containers and frees its
	// IP; removing a missing sandbox is not an error.
	RemovePodSandbox(ctx context.Context, podSandboxID string) error
	// PodSandboxStatus reports the sandbox's state and IPs.
	PodSandboxStatus(ctx context.Context, podSandboxID string, verbose bool) (*runtimeapi.PodSandboxStatusResponse, error)

	// CreateContainer creates a container in a sandbox; StartContainer
	// starts it.
	CreateContainer(ctx context.Context, podSandboxID string, config *runtimeapi.ContainerConfig, sandboxConfig *runtimeapi.PodSandboxConfig) (string, error)
	StartContainer(ctx context.Context, containerID string) error
	// StopContainer stops a running container within timeout seconds.
	StopContainer(ctx context.Context, containerID string, timeout int64) error
	RemoveContainer(ctx context.Context, containerID string) error
	ListContainers(ctx context.Context, filter *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error)
	ContainerStatus(ctx context.Context, containerID string, verbose bool) (*runtimeapi.ContainerStatusResponse, error)
	// UpdateContainerResources changes a running container's cgroup
	// settings in place (in-place pod resize): cpu shares and CFS quota,
	// memory limit. The container keeps running.
	UpdateContainerResources(ctx context.Context, containerID string, resources *runtimeapi.ContainerResources) error

	// GetContainerEvents streams container state changes the runtime
	// decides on its own (a process exiting) to ch until ctx ends. Each
	// event carries the pod sandbox's metadata, which is how the agent
	// finds the pod to sync.
	GetContainerEvents(ctx context.Context, ch chan *runtimeapi.ContainerEventResponse, connectionEstablishedCallback func(runtimeapi.RuntimeService_GetContainerEventsClient)) error
}

// Annotations that drive simulated nodes (all of them, with examples, in
// docs/simulated-nodes.md). The agent copies a pod's annotations into
// its sandbox config, as the kubelet does, so setting them on a pod
// applies to all of the pod's (non-init) containers:
//
//	sim.tinykube.io/exit-after:  "5s"    // containers exit this long after starting
//	sim.tinykube.io/exit-code:   "1"     // with this exit code (default 0)
//	sim.tinykube.io/ready:       "false" // running containers never become ready
//	sim.tinykube.io/ready-after: "10s"   // ready this long after starting (default at once)
//
// Without exit-after a simulated container runs until stopped, except in
// a pod owned by a Job, which completes after 1-5s (kwok's pod-complete
// stage, simstages.go). With
// restartPolicy Never the pod then ends Succeeded (code 0) or Failed;
// with OnFailure/Always the container restarts after a back-off
// (restartCount and lastState as the kubelet reports them). Init
// containers ignore the pod's annotations and complete at once with 0.
// Readiness is the agent's (simreadiness.go): the pod is Running with
// Ready False while its containers are not ready. A real runtime ignores
// these annotations.
const (
	AnnotationExitAfter  = "sim.tinykube.io/exit-after"
	AnnotationExitCode   = "sim.tinykube.io/exit-code"
	AnnotationReady      = "sim.tinykube.io/ready"
	AnnotationReadyAfter = "sim.tinykube.io/ready-after"
)

// ErrNoContainerEvents is what a Runtime's GetContainerEvents returns
// (wrapped) when the runtime cannot stream events (containerd 1.6); the
// agent then polls the runtime's containers instead.
var ErrNoContainerEvents = errors.New("runtime does not stream container events")

// ImageService is the image half of CRI the agent uses (ListImages,
// ImageStatus, PullImage). A Runtime that also implements it (a real
// one) has images pulled before containers are created, through
// pkg/node/images (pull policy, pull secrets, back-off), and its images
// reported in status.images.
type ImageService = images.Service

// StatusReporter is implemented by runtimes that report their own
// conditions (CRI Status: RuntimeReady, NetworkReady); a real node's
// Ready condition follows them.
type StatusReporter interface {
	Status(ctx context.Context, verbose bool) (*runtimeapi.StatusResponse, error)
}
