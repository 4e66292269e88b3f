package events

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
)

// Reasons the kubelet gives its events.
const (
	// Container lifecycle.
	Created       = "Created"
	Started       = "Started"
	Failed        = "Failed"
	Killing       = "Killing"
	BackOff       = "BackOff"
	ExceededGrace = "ExceededGracePeriod"

	// Images (Failed and BackOff above serve them too).
	Pulling           = "Pulling"
	Pulled            = "Pulled"
	ErrImageNeverPull = "ErrImageNeverPull"
	InspectFailed     = "InspectFailed"
	// FailedToRetrieveImagePullSecret is recorded on the pod.
	FailedToRetrieveImagePullSecret = "FailedToRetrieveImagePullSecret"

	// Probes.
	Unhealthy    = "Unhealthy"
	ProbeWarning = "ProbeWarning"

	// Lifecycle hooks.
	FailedPostStartHook = "FailedPostStartHook"
	FailedPreStopHook   = "FailedPreStopHook"

	// Pods and volumes.
	FailedMount            = "FailedMount"
	FailedCreatePodSandBox = "FailedCreatePodSandBox"
	SandboxChanged         = "SandboxChanged"
	FailedSync             = "FailedSync"
)

// Messages of the kubelet's container events, v1.37 wording.
const (
	MsgCreated             = "Container created"
	MsgStarted             = "Container started"
	MsgPostStartHookFailed = "PostStartHook failed"
	MsgPreStopHookFailed   = "PreStopHook failed"
)

// StoppingMessage is the Killing event's message when a container is
// stopped for no more specific reason (pod deletion, a failed hook).
func StoppingMessage(container string) string {
	return fmt.Sprintf("Stopping container %s", container)
}

// ProbeKillMessage is the Killing event's message when a liveness or
// startup probe failed ("liveness" / "startup"); restart tells whether
// the container will run again.
func ProbeKillMessage(container, probe string, restart bool) string {
	msg := fmt.Sprintf("Container %s failed %s probe", container, probe)
	if restart {
		msg += ", will be restarted"
	}
	return msg
}

// BackOffMessage is the BackOff event's message for a container waiting
// out its restart back-off.
func BackOffMessage(pod *corev1.Pod, container string) string {
	return fmt.Sprintf("Back-off restarting failed container %s in pod %s", container, PodDesc(pod))
}

// PullingMessage and PulledMessage are the image events' messages.
func PullingMessage(image string) string { return fmt.Sprintf("Pulling image %q", image) }

// PulledMessage is Pulled's message after a pull that took pull (and
// total, with waiting for other pulls) and fetched size bytes.
func PulledMessage(image string, pull, total time.Duration, size uint64) string {
	return fmt.Sprintf("Successfully pulled image %q in %v (%v including waiting). Image size: %v bytes.",
		image, pull.Truncate(time.Millisecond), total.Truncate(time.Millisecond), size)
}

// FailedMountMessage is FailedMount's message when a pod's volumes could
// not be set up.
func FailedMountMessage(err error) string {
	return fmt.Sprintf("Unable to attach or mount volumes: %v", err)
}

// PresentMessage is Pulled's message when the image was not pulled.
func PresentMessage(image string) string {
	return fmt.Sprintf("Container image %q already present on machine and can be accessed by the pod", image)
}

// NeverPullMessage is ErrImageNeverPull's message (and the container's
// waiting message) when the image is absent and the policy is Never.
func NeverPullMessage(image string) string {
	return fmt.Sprintf("Container image %q is not present with pull policy of Never", image)
}

// PullBackOffMessage is the BackOff event's message for an image whose
// pull back-off is running.
func PullBackOffMessage(image string) string {
	return fmt.Sprintf("Back-off pulling image %q", image)
}

// PullFailedMessage is the Failed event's message for a failed pull.
func PullFailedMessage(image string, err error) string {
	return fmt.Sprintf("Failed to pull image %q: %v", image, err)
}

// InvalidImageMessage is InspectFailed's message for an image name that
// takes no default tag.
func InvalidImageMessage(image string, err error) string {
	return fmt.Sprintf("Failed to apply default image tag %q: %v", image, err)
}

// InspectFailedMessage is InspectFailed's message when the runtime could
// not tell whether image ID imageID is present (the kubelet names the
// image ID it has, empty at that point).
func InspectFailedMessage(imageID string, err error) string {
	return fmt.Sprintf("Failed to inspect image %q: %v", imageID, err)
}

// MissingPullSecretsMessage is FailedToRetrieveImagePullSecret's message
// naming the pull secrets that could not be fetched.
func MissingPullSecretsMessage(names []string) string {
	return fmt.Sprintf("Unable to retrieve some image pull secrets (%s); attempting to pull the image may not succeed.", strings.Join(names, ", "))
}

// ContainerFailedMessage is the Failed event's message when a container
// could not start for reason (ErrImagePull, ImagePullBackOff, ...).
func ContainerFailedMessage(reason string) string { return "Error: " + reason }

// PodDesc names a pod the kubelet's way: name_namespace(uid).
func PodDesc(pod *corev1.Pod) string {
	return fmt.Sprintf("%s_%s(%s)", pod.Name, pod.Namespace, pod.UID)
}

// ContainerRef refers to container name of pod, with the fieldPath the
// kubelet uses (spec.containers{name}, spec.initContainers{name},
// spec.ephemeralContainers{name}; implicitly required container name for
// one the spec does not have).
func ContainerRef(pod *corev1.Pod, name string) *corev1.ObjectReference {
	path := "implicitly required container " + name
	for _, c := range pod.Spec.Containers {
		if c.Name == name {
			path = fmt.Sprintf("spec.containers{%s}", name)
		}
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name {
			path = fmt.Sprintf("spec.initContainers{%s}", name)
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == name {
			path = fmt.Sprintf("spec.ephemeralContainers{%s}", name)
		}
	}
	return &corev1.ObjectReference{
		Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
		ResourceVersion: pod.ResourceVersion, FieldPath: path,
	}
}

// PodRef refers to the pod itself.
func PodRef(pod *corev1.Pod) *corev1.ObjectReference {
	return &corev1.ObjectReference{
		Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
		ResourceVersion: pod.ResourceVersion,
	}
}

// NewRecorder starts an event broadcaster writing core/v1 Events through
// client and returns a recorder for node nodeName (source component
// "kubelet", host nodeName) and a stop function that flushes and ends
// the broadcaster. The broadcaster aggregates and rate-limits repeats as
// client-go does for every upstream component.
func NewRecorder(ctx context.Context, client kubernetes.Interface, nodeName string) (record.EventRecorder, func()) {
	b, stop := NewBroadcaster(ctx, client)
	return NodeRecorder(b, nodeName), stop
}

// NewBroadcaster starts an event broadcaster writing core/v1 Events
// through client, for several nodes' recorders (NodeRecorder), and
// returns it with the function that flushes and ends it.
func NewBroadcaster(ctx context.Context, client kubernetes.Interface) (record.EventBroadcaster, func()) {
	b := record.NewBroadcaster(record.WithContext(ctx))
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	return b, b.Shutdown
}

// NodeRecorder is a recorder on b for node nodeName: source component
// "kubelet", host nodeName.
func NodeRecorder(b record.EventBroadcaster, nodeName string) record.EventRecorder {
	return b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "kubelet", Host: nodeName})
}

// PodKey is the namespace/name of a pod.
func PodKey(pod *corev1.Pod) types.NamespacedName {
	return types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
}
