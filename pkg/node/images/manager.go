package images

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/record"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	crierrors "k8s.io/cri-api/pkg/errors"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/node/events"
)

// The reasons a container waits with when its image is not ready; the
// kubelet's (pkg/kubelet/images) words, which users and tests match.
var (
	ErrImagePull        = errors.New("ErrImagePull")
	ErrImagePullBackOff = errors.New("ImagePullBackOff")
	ErrImageNeverPull   = errors.New("ErrImageNeverPull")
	ErrInvalidImageName = errors.New("InvalidImageName")
	ErrImageInspect     = errors.New("ImageInspectError")
)

// Error is why an image is not ready: Reason (one of the Err… values
// above, or a CRI error such as RegistryUnavailable) is the container's
// waiting reason and Message its waiting message. RetryAfter, when set,
// is when to sync the pod again. A failed pull's error stands for the
// first half of its back-off (syncs in between get it again, without
// pulling), then the pod reports ImagePullBackOff until the back-off
// ends, as the kubelet shows them; zero for failures no back-off governs
// (ErrImageNeverPull, InvalidImageName: the caller's own resync).
type Error struct {
	Reason     error
	Message    string
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Reason.Error() + ": " + e.Message }
func (e *Error) Unwrap() error { return e.Reason }

// Config configures a Manager.
type Config struct {
	// Service reaches the runtime's images.
	Service Service
	// Secret fetches a pull secret; nil: imagePullSecrets are ignored.
	Secret func(ctx context.Context, namespace, name string) (*corev1.Secret, error)
	// Recorder records the pull events; nil records none.
	Recorder record.EventRecorder
	// InitialBackOff and MaxBackOff bound the pull back-off per pod and
	// image (default 10s and 5m, as the kubelet).
	InitialBackOff, MaxBackOff time.Duration
	Clock                      clock.PassiveClock
	Logger                     *slog.Logger
}

// Manager ensures images are present before containers are created. It
// is safe for concurrent use.
type Manager struct {
	cfg     Config
	backoff *backoff

	mu sync.Mutex
	// pulledWith remembers, per image ID pulled with credentials, their
	// hashes: a pod must present one of them to use the image without
	// pulling. Images pulled without credentials or found on the node
	// are open to every pod.
	pulledWith map[string]map[string]bool
}

// NewManager returns a Manager; zero durations, clock and logger get
// their defaults.
func NewManager(cfg Config) *Manager {
	if cfg.InitialBackOff <= 0 {
		cfg.InitialBackOff = 10 * time.Second
	}
	if cfg.MaxBackOff <= 0 {
		cfg.MaxBackOff = 5 * time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Manager{cfg: cfg, backoff: newBackoff(cfg.InitialBackOff, cfg.MaxBackOff), pulledWith: map[string]map[string]bool{}}
}

// EnsureImage makes container c's image present for pod, following the
// container's imagePullPolicy, and returns the image's ID (imageRef) to
// create the container with. sandbox is passed on to the runtime's pull.
// On failure the error is an *Error. Events go to the container's
// field path of the pod, as the kubelet's: Pulling, Pulled ("already
// present" or "Successfully pulled … in …"), Failed with the pull's
// error, BackOff, ErrImageNeverPull, InspectFailed, then Failed
// "Error: <reason>" as the kubelet's container start adds.
func (m *Manager) EnsureImage(ctx context.Context, pod *corev1.Pod, c *corev1.Container, sandbox *runtimeapi.PodSandboxConfig) (string, error) {
	ref := events.ContainerRef(pod, c.Name)
	imageRef, err := m.ensure(ctx, ref, pod, c, sandbox)
	if err != nil {
		var ie *Error
		if errors.As(err, &ie) {
			m.event(ref, corev1.EventTypeWarning, events.Failed, events.ContainerFailedMessage(ie.Reason.Error()))
		}
	}
	return imageRef, err
}

func (m *Manager) ensure(ctx context.Context, ref *corev1.ObjectReference, pod *corev1.Pod, c *corev1.Container, sandbox *runtimeapi.PodSandboxConfig) (string, error) {
	requested := c.Image
	image, err := WithDefaultTag(requested)
	if err != nil {
		msg := events.InvalidImageMessage(requested, err)
		m.event(ref, corev1.EventTypeWarning, events.InspectFailed, msg)
		return "", &Error{Reason: ErrInvalidImageName, Message: msg}
	}
	parsed, _ := ParseReference(image)
	policy := c.ImagePullPolicy
	if policy == "" { // the API server defaults it; be safe for callers that did not
		policy = corev1.PullIfNotPresent
		if parsed.Tag == "latest" && parsed.Digest == "" {
			policy = corev1.PullAlways
		}
	}
	spec := &runtimeapi.ImageSpec{Image: image, Annotations: pod.Annotations}

	present := ""
	if policy != corev1.PullAlways {
		resp, err := m.cfg.Service.ImageStatus(ctx, spec, false)
		if err != nil {
			msg := events.InspectFailedMessage("", err) // sic: upstream names the (empty) image ID
			m.event(ref, corev1.EventTypeWarning, events.InspectFailed, msg)
			return "", &Error{Reason: ErrImageInspect, Message: msg}
		}
		present = resp.GetImage().GetId()
	}
	if present == "" && policy == corev1.PullNever {
		msg := events.NeverPullMessage(requested)
		m.event(ref, corev1.EventTypeWarning, events.ErrImageNeverPull, msg)
		return "", &Error{Reason: ErrImageNeverPull, Message: msg}
	}

	creds, missing, err := m.credentials(ctx, pod, parsed.Repository)
	if err != nil {
		return "", &Error{Reason: ErrImagePull, Message: err.Error()}
	}
	if present != "" && (policy == corev1.PullNever || m.accessible(present, creds)) {
		m.event(ref, corev1.EventTypeNormal, events.Pulled, events.PresentMessage(requested))
		return present, nil
	}
	imageRef, err := m.pull(ctx, ref, pod, image, spec, creds, sandbox)
	if len(missing) > 0 && errors.Is(err, ErrImagePull) {
		// As the kubelet: a pull failed and some named secret was
		// missing, which may be why.
		m.event(events.PodRef(pod), corev1.EventTypeWarning, events.FailedToRetrieveImagePullSecret, events.MissingPullSecretsMessage(missing))
	}
	return imageRef, err
}

// pull pulls image unless its back-off is running.
func (m *Manager) pull(ctx context.Context, ref *corev1.ObjectReference, pod *corev1.Pod, image string, spec *runtimeapi.ImageSpec,
	creds []Credential, sandbox *runtimeapi.PodSandboxConfig) (string, error) {
	key := string(pod.UID) + "_" + image
	if left, since, last := m.backoff.wait(key, m.cfg.Clock.Now()); left > 0 {
		if fresh := (left+since)/2 - since; fresh > 0 && last != nil {
			// The failure stands for the first half of the back-off
			// (syncs of the pod in between, e.g. for its own status
			// write, see ErrImagePull as the kubelet's next sync would).
			return "", &Error{Reason: last.Reason, Message: last.Message, RetryAfter: fresh}
		}
		msg := events.PullBackOffMessage(image)
		m.event(ref, corev1.EventTypeNormal, events.BackOff, msg)
		if last != nil {
			msg += ": " + last.Reason.Error() + ": " + last.Message
		}
		return "", &Error{Reason: ErrImagePullBackOff, Message: msg, RetryAfter: left}
	}

	m.event(ref, corev1.EventTypeNormal, events.Pulling, events.PullingMessage(image))
	start := m.cfg.Clock.Now()
	imageRef, used, err := m.pullWith(ctx, spec, creds, sandbox)
	if err != nil {
		m.event(ref, corev1.EventTypeWarning, events.Failed, events.PullFailedMessage(image, err))
		reason, msg := pullError(image, err)
		failure := &Error{Reason: reason, Message: msg}
		delay := m.backoff.failed(key, m.cfg.Clock.Now(), failure)
		return "", &Error{Reason: reason, Message: msg, RetryAfter: delay / 2}
	}
	took := m.cfg.Clock.Since(start)
	var size uint64
	if resp, err := m.cfg.Service.ImageStatus(ctx, spec, false); err == nil {
		size = resp.GetImage().GetSize()
	}
	m.event(ref, corev1.EventTypeNormal, events.Pulled, events.PulledMessage(image, took, took, size))
	m.backoff.succeeded(key, m.cfg.Clock.Now())
	m.remember(imageRef, used)
	return imageRef, nil
}

// pullWith pulls without credentials if there are none, else with each
// in turn until one works; it returns the credential that worked.
func (m *Manager) pullWith(ctx context.Context, spec *runtimeapi.ImageSpec, creds []Credential, sandbox *runtimeapi.PodSandboxConfig) (string, *Credential, error) {
	if len(creds) == 0 {
		ref, err := m.cfg.Service.PullImage(ctx, spec, nil, sandbox)
		return ref, nil, err
	}
	var errs []error
	for i := range creds {
		ref, err := m.cfg.Service.PullImage(ctx, spec, creds[i].Auth, sandbox)
		if err == nil {
			return ref, &creds[i], nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 1 {
		return "", nil, errs[0]
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return "", nil, errors.New("[" + strings.Join(msgs, ", ") + "]")
}

// pullError maps a CRI pull error to the container's waiting reason and
// message: the CRI's RegistryUnavailable and SignatureValidationFailed
// are kept, anything else is ErrImagePull with the runtime's error.
func pullError(image string, err error) (error, string) {
	text := err.Error()
	for _, known := range []struct {
		err  error
		what string
	}{
		{crierrors.ErrRegistryUnavailable, "the registry is unavailable"},
		{crierrors.ErrSignatureValidationFailed, "the signature validation failed"},
	} {
		if strings.HasPrefix(text, known.err.Error()) {
			return known.err, fmt.Sprintf("image pull failed for %s because %s%s", image, known.what, strings.TrimPrefix(text, known.err.Error()))
		}
	}
	return ErrImagePull, text
}

// credentials fetches the pod's pull secrets (a missing one is logged,
// named in missing and skipped, as the kubelet does) and returns those
// for repository.
func (m *Manager) credentials(ctx context.Context, pod *corev1.Pod, repository string) (creds []Credential, missing []string, err error) {
	if m.cfg.Secret == nil || len(pod.Spec.ImagePullSecrets) == 0 {
		return nil, nil, nil
	}
	var secrets []corev1.Secret
	for _, r := range pod.Spec.ImagePullSecrets {
		if r.Name == "" {
			continue
		}
		s, err := m.cfg.Secret(ctx, pod.Namespace, r.Name)
		if err != nil {
			m.cfg.Logger.Info("Unable to retrieve pull secret, the image pull may not succeed.",
				"pod", pod.Namespace+"/"+pod.Name, "secret", r.Name, "err", err)
			missing = append(missing, r.Name)
			continue
		}
		secrets = append(secrets, *s)
	}
	k, err := NewKeyring(secrets)
	if err != nil {
		return nil, missing, err
	}
	return k.Lookup(repository), missing, nil
}

// accessible: a pod with creds may use image ID imageRef without
// pulling: it was not pulled with credentials, or the pod holds one of
// them.
func (m *Manager) accessible(imageRef string, creds []Credential) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	hashes := m.pulledWith[imageRef]
	if hashes == nil {
		return true
	}
	for _, c := range creds {
		if hashes[c.Hash] {
			return true
		}
	}
	return false
}

// remember records how imageRef was pulled: with used, or (nil) openly.
func (m *Manager) remember(imageRef string, used *Credential) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if used == nil {
		delete(m.pulledWith, imageRef)
		return
	}
	if m.pulledWith[imageRef] == nil {
		m.pulledWith[imageRef] = map[string]bool{}
	}
	m.pulledWith[imageRef][used.Hash] = true
}

func (m *Manager) event(ref *corev1.ObjectReference, eventType, reason, msg string) {
	if m.cfg.Recorder != nil {
		m.cfg.Recorder.Event(ref, eventType, reason, msg)
	}
}
