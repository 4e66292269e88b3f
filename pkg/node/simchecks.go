package node

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/pkg/node/envvars"
	"github.com/tinykube/tinykube/pkg/node/events"
	"github.com/tinykube/tinykube/pkg/node/images"
	"github.com/tinykube/tinykube/pkg/node/volumes"
)

// What a simulated node checks before it runs a pod, so that the
// mistakes a real kubelet reports are reported here too
// (docs/simulated-nodes.md):
//
//   - a volume whose ConfigMap, Secret or PersistentVolumeClaim does not
//     exist (and is not optional), or a claim not bound yet, keeps the
//     pod in ContainerCreating with a FailedMount event (`MountVolume.SetUp
//     failed for volume "x" : configmap "y" not found`) until it does;
//   - an env or envFrom reference to a missing ConfigMap, Secret or key
//     keeps the container waiting in CreateContainerConfigError (`configmap
//     "y" not found`) with a Failed event, until it exists;
//   - an image reference that does not parse waits in InvalidImageName;
//     one matching Config.FailingImages (--simulated-failing-images) fails
//     its pulls as a registry without it would: ErrImagePull, then
//     ImagePullBackOff, with the kubelet's Pulling, Failed and BackOff
//     events (the image manager of real nodes, pkg/node/images, on a
//     runtime whose pulls always fail).
//
// Only these failures are recorded as events on a simulated node (one
// broadcaster for all of them, made on first use); a pod that runs
// records nothing, as on kwok's nodes, so scale runs write no events.

// simEventsState is the agent's lazily made event broadcaster for
// simulated nodes.
type simEventsState struct {
	once      sync.Once
	broadcast record.EventBroadcaster
	stop      func()
}

// simRecorder returns simulated node ns's event recorder (source
// "kubelet", host the node), made on first use.
func (a *Agent) simRecorder(ns *nodeState) record.EventRecorder {
	ns.simRecorderOnce.Do(func() {
		a.simEvents.once.Do(func() {
			ctx := a.runCtx
			if ctx == nil {
				ctx = context.Background()
			}
			a.simEvents.broadcast, a.simEvents.stop = events.NewBroadcaster(ctx, a.client)
		})
		ns.simRecorder = events.NodeRecorder(a.simEvents.broadcast, ns.name)
	})
	return ns.simRecorder
}

// stopSimEvents flushes and stops the simulated nodes' broadcaster, if
// one was made.
func (a *Agent) stopSimEvents() {
	a.simEvents.once.Do(func() {}) // none can be made any more
	if a.simEvents.stop != nil {
		a.simEvents.stop()
	}
}

// warnPodEvent records a Warning about pod on any node: through the
// real node's recorder, or a simulated node's failure recorder.
func (a *Agent) warnPodEvent(ns *nodeState, pod *corev1.Pod, reason, msg string) {
	if ns.recorder != nil {
		ns.recorder.Event(events.PodRef(pod), corev1.EventTypeWarning, reason, msg)
		return
	}
	if a.simulated(ns) {
		a.simRecorder(ns).Event(events.PodRef(pod), corev1.EventTypeWarning, reason, msg)
	}
}

// warnContainerEvent is warnPodEvent for one container of pod.
func (a *Agent) warnContainerEvent(ns *nodeState, pod *corev1.Pod, name, reason, msg string) {
	if ns.recorder != nil {
		ns.recorder.Event(events.ContainerRef(pod, name), corev1.EventTypeWarning, reason, msg)
		return
	}
	if a.simulated(ns) {
		a.simRecorder(ns).Event(events.ContainerRef(pod, name), corev1.EventTypeWarning, reason, msg)
	}
}

// simulated tells whether ns is a simulated node: no machine, and a
// runtime that cannot run commands.
func (a *Agent) simulated(ns *nodeState) bool {
	return ns.machine == nil && !a.realNode(ns)
}

// simulatedVolumes is ensureVolumes on a simulated node: nothing is
// mounted, but every volume's source must exist. Once they all did the
// pod is not checked again.
func (a *Agent) simulatedVolumes(ctx context.Context, pod *corev1.Pod, rec *podRecord) (bool, time.Duration) {
	vs := &rec.volumes
	if vs.ready {
		return true, 0
	}
	err := a.checkVolumeSources(ctx, pod)
	if err == nil {
		vs.ready, vs.retry, vs.lastFailed = true, 0, ""
		return true, 0
	}
	return false, a.mountFailed(rec.node, pod, vs, err, simMountRetryMax)
}

// simMountRetryMax bounds a simulated node's delay between checks of a
// pod's volume sources: a check is one cached read per source, so a pod
// starts within seconds of its ConfigMap's creation.
const simMountRetryMax = 5 * time.Second

// mountFailed reports volumes that could not be set up (FailedMount, one
// event per distinct failure, not one per retry) and returns the delay
// before the next attempt, doubling up to maxRetry.
func (a *Agent) mountFailed(ns *nodeState, pod *corev1.Pod, vs *volumeState, err error, maxRetry time.Duration) time.Duration {
	failed := volumes.MountErrors(err)
	if msg := err.Error(); vs.lastFailed != msg {
		for _, me := range failed {
			a.warnPodEvent(ns, pod, events.FailedMount, me.Error())
		}
		if len(failed) == 0 {
			a.warnPodEvent(ns, pod, events.FailedMount, events.FailedMountMessage(err))
		}
		vs.lastFailed = msg
	}
	vs.retry = min(max(2*vs.retry, mountRetry), maxRetry)
	return vs.retry
}

// checkVolumeSources returns a *volumes.MountError per volume of pod
// whose source is missing, in the words pkg/node/volumes uses on a real
// node.
func (a *Agent) checkVolumeSources(ctx context.Context, pod *corev1.Pod) error {
	var errs []error
	fail := func(volume string, err error) {
		errs = append(errs, &volumes.MountError{Volume: volume, Err: err})
	}
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		switch {
		case v.ConfigMap != nil:
			if err := a.configMapSource(ctx, pod.Namespace, v.ConfigMap.Name, v.ConfigMap.Items, v.ConfigMap.Optional); err != nil {
				fail(v.Name, err)
			}
		case v.Secret != nil:
			if err := a.secretSource(ctx, pod.Namespace, v.Secret.SecretName, v.Secret.Items, v.Secret.Optional); err != nil {
				fail(v.Name, err)
			}
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				var err error
				switch {
				case src.ConfigMap != nil:
					err = a.configMapSource(ctx, pod.Namespace, src.ConfigMap.Name, src.ConfigMap.Items, src.ConfigMap.Optional)
				case src.Secret != nil:
					err = a.secretSource(ctx, pod.Namespace, src.Secret.Name, src.Secret.Items, src.Secret.Optional)
				}
				if err != nil {
					fail(v.Name, err)
					break
				}
			}
		case v.PersistentVolumeClaim != nil:
			if err := a.claimSource(ctx, pod.Namespace, v.PersistentVolumeClaim.ClaimName); err != nil {
				fail(v.Name, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (a *Agent) configMapSource(ctx context.Context, ns, name string, items []corev1.KeyToPath, optional *bool) error {
	cm, err := a.objects.ConfigMap(ctx, ns, name)
	switch {
	case apierrors.IsNotFound(err) && isTrue(optional):
		return nil
	case apierrors.IsNotFound(err):
		return fmt.Errorf("configmap %q not found", name)
	case err != nil:
		return fmt.Errorf("configmap %q: %w", name, err)
	}
	for _, it := range items {
		_, inData := cm.Data[it.Key]
		_, inBinary := cm.BinaryData[it.Key]
		if !inData && !inBinary && !isTrue(optional) {
			return fmt.Errorf("configmap references non-existent config key: %s", it.Key)
		}
	}
	return nil
}

func (a *Agent) secretSource(ctx context.Context, ns, name string, items []corev1.KeyToPath, optional *bool) error {
	s, err := a.objects.Secret(ctx, ns, name)
	switch {
	case apierrors.IsNotFound(err) && isTrue(optional):
		return nil
	case apierrors.IsNotFound(err):
		return fmt.Errorf("secret %q not found", name)
	case err != nil:
		return fmt.Errorf("secret %q: %w", name, err)
	}
	for _, it := range items {
		if _, ok := s.Data[it.Key]; !ok && !isTrue(optional) {
			return fmt.Errorf("references non-existent secret key: %s", it.Key)
		}
	}
	return nil
}

// claimSource: the claim exists, is bound and is not being deleted.
func (a *Agent) claimSource(ctx context.Context, ns, name string) error {
	pvc, err := a.client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Errorf("persistentvolumeclaim %q not found", name)
	case err != nil:
		return err
	case pvc.DeletionTimestamp != nil:
		return fmt.Errorf("persistentvolumeclaim %q is being deleted", name)
	case pvc.Spec.VolumeName == "" || pvc.Status.Phase != corev1.ClaimBound:
		return fmt.Errorf("persistentvolumeclaim %q is not bound", name)
	}
	return nil
}

func isTrue(b *bool) bool { return b != nil && *b }

// simulatedCreate is what a simulated node checks before creating
// container c: its image (invalid, or one that fails to pull), then its
// environment's references. It returns the waiting state the container
// reports instead, and when to try again; nil if it can be created.
func (a *Agent) simulatedCreate(ctx context.Context, rec *podRecord, pod *corev1.Pod, c *corev1.Container) (*corev1.ContainerStateWaiting, time.Duration) {
	if a.failingImage(c.Image) {
		if _, waiting, retry := a.pullImage(ctx, rec, pod, c); waiting != nil {
			return waiting, retry
		}
	}
	if !needsEnvCheck(c) {
		return nil, 0
	}
	var hostIPs []string
	if rec.node.ip.IsValid() {
		hostIPs = []string{rec.node.ip.String()}
	}
	_, err := envvars.Resolve(ctx, envvars.Input{Pod: pod, Container: c, PodIPs: rec.ips, HostIPs: hostIPs,
		Allocatable: a.simAllocatable(), Getter: a.objects})
	if err != nil {
		a.warnContainerEvent(rec.node, pod, c.Name, events.Failed, events.ContainerFailedMessage(err.Error()))
		return &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: err.Error()}, configRetry
	}
	return nil, 0
}

// needsEnvCheck: c's environment refers to other objects or fields.
func needsEnvCheck(c *corev1.Container) bool {
	if len(c.EnvFrom) > 0 {
		return true
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			return true
		}
	}
	return false
}

func (a *Agent) simAllocatable() corev1.ResourceList {
	return corev1.ResourceList{corev1.ResourceCPU: a.cfg.CPU, corev1.ResourceMemory: a.cfg.Memory,
		corev1.ResourceEphemeralStorage: a.cfg.EphemeralStorage}
}

// failingImage tells whether a simulated node cannot get image: its
// reference does not parse (InvalidImageName), or it matches one of
// Config.FailingImages, as written or fully qualified
// (docker.io/library/busybox:latest).
func (a *Agent) failingImage(image string) bool {
	full, err := images.WithDefaultTag(image)
	if err != nil {
		return true
	}
	if a.failingImages == nil {
		return false
	}
	return a.failingImages.MatchString(image) || a.failingImages.MatchString(full)
}

// compileImagePatterns turns glob patterns ('*' matches any run of
// characters, '/' and ':' included; '?' one character) into one anchored
// regexp; nil for none.
func compileImagePatterns(patterns []string) (*regexp.Regexp, error) {
	var alts []string
	for _, p := range patterns {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		var b strings.Builder
		for _, r := range p {
			switch r {
			case '*':
				b.WriteString(".*")
			case '?':
				b.WriteString(".")
			default:
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		alts = append(alts, b.String())
	}
	if len(alts) == 0 {
		return nil, nil
	}
	return regexp.Compile("^(?:" + strings.Join(alts, "|") + ")$")
}

// failingImageService is the image service of a simulated node's image
// manager: no image is present and every pull fails as containerd's
// does for a reference its registry does not have. Only images that
// failingImage picks reach it.
type failingImageService struct{}

func (failingImageService) ListImages(context.Context, *runtimeapi.ImageFilter) ([]*runtimeapi.Image, error) {
	return nil, nil
}

func (failingImageService) ImageStatus(context.Context, *runtimeapi.ImageSpec, bool) (*runtimeapi.ImageStatusResponse, error) {
	return &runtimeapi.ImageStatusResponse{}, nil
}

func (failingImageService) PullImage(_ context.Context, spec *runtimeapi.ImageSpec, _ *runtimeapi.AuthConfig, _ *runtimeapi.PodSandboxConfig) (string, error) {
	ref := spec.GetImage()
	return "", grpcstatus.Errorf(codes.NotFound, "failed to pull and unpack image %q: failed to resolve reference %q: %s: not found", ref, ref, ref)
}
