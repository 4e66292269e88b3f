package images

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	clocktesting "k8s.io/utils/clock/testing"
)

// fakeImages is an image service holding images by name; PullFunc
// decides each pull (nil: succeed). It stands in for the runtime in the
// manager's logic tests; pull_test.go runs against real containerd.
type fakeImages struct {
	mu       sync.Mutex
	images   map[string]*runtimeapi.Image
	pulls    []*runtimeapi.AuthConfig
	PullFunc func(image string, auth *runtimeapi.AuthConfig) error
}

var _ Service = (*fakeImages)(nil)

func (f *fakeImages) ListImages(context.Context, *runtimeapi.ImageFilter) ([]*runtimeapi.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*runtimeapi.Image
	for _, img := range f.images {
		out = append(out, img)
	}
	return out, nil
}

func (f *fakeImages) ImageStatus(_ context.Context, spec *runtimeapi.ImageSpec, _ bool) (*runtimeapi.ImageStatusResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &runtimeapi.ImageStatusResponse{Image: f.images[spec.Image]}, nil
}

func (f *fakeImages) PullImage(_ context.Context, spec *runtimeapi.ImageSpec, auth *runtimeapi.AuthConfig, _ *runtimeapi.PodSandboxConfig) (string, error) {
	f.mu.Lock()
	f.pulls = append(f.pulls, auth)
	pull := f.PullFunc
	f.mu.Unlock()
	if pull != nil {
		if err := pull(spec.Image, auth); err != nil {
			return "", err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.images == nil {
		f.images = map[string]*runtimeapi.Image{}
	}
	id := "sha256:" + fmt.Sprintf("%064x", len(spec.Image))
	f.images[spec.Image] = &runtimeapi.Image{Id: id, RepoTags: []string{spec.Image}, Size: 1000}
	return id, nil
}

func (f *fakeImages) pullCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pulls)
}

func testPod(image string, policy corev1.PullPolicy) (*corev1.Pod, *corev1.Container) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", UID: "uid-p"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image, ImagePullPolicy: policy}}},
	}
	return pod, &pod.Spec.Containers[0]
}

// drain returns the events recorded so far, one "Type Reason Message" a line.
func drain(r *record.FakeRecorder) []string {
	var out []string
	for {
		select {
		case e := <-r.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func wantError(t *testing.T, err error, reason error, msg string) *Error {
	t.Helper()
	var ie *Error
	if !errors.As(err, &ie) || !errors.Is(err, reason) || ie.Message != msg {
		t.Fatalf("error %v; want %v with message %q", err, reason, msg)
	}
	return ie
}

func TestEnsureImagePolicies(t *testing.T) {
	svc := &fakeImages{}
	rec := record.NewFakeRecorder(100)
	m := NewManager(Config{Service: svc, Recorder: rec})
	ctx := context.Background()

	// Never, absent.
	pod, c := testPod("busybox:1", corev1.PullNever)
	_, err := m.EnsureImage(ctx, pod, c, nil)
	wantError(t, err, ErrImageNeverPull, `Container image "busybox:1" is not present with pull policy of Never`)
	if got := drain(rec); len(got) != 2 || got[0] != `Warning ErrImageNeverPull Container image "busybox:1" is not present with pull policy of Never` || got[1] != "Warning Failed Error: ErrImageNeverPull" {
		t.Errorf("events %q", got)
	}

	// Invalid name.
	pod, c = testPod("Busy Box", corev1.PullIfNotPresent)
	_, err = m.EnsureImage(ctx, pod, c, nil)
	if !errors.Is(err, ErrInvalidImageName) || !strings.HasPrefix(err.(*Error).Message, `Failed to apply default image tag "Busy Box": couldn't parse image name "Busy Box"`) {
		t.Errorf("invalid name: %v", err)
	}
	if got := drain(rec); len(got) != 2 || !strings.HasPrefix(got[0], "Warning InspectFailed Failed to apply default image tag") {
		t.Errorf("events %q", got)
	}

	// IfNotPresent: pulled once, then found; the default tag is added.
	pod, c = testPod("busybox", corev1.PullIfNotPresent)
	id, err := m.EnsureImage(ctx, pod, c, nil)
	if err != nil || id == "" || svc.pullCount() != 1 {
		t.Fatalf("first IfNotPresent: %q %v, %d pulls", id, err, svc.pullCount())
	}
	if got := drain(rec); len(got) != 2 || got[0] != `Normal Pulling Pulling image "busybox:latest"` ||
		!strings.HasPrefix(got[1], `Normal Pulled Successfully pulled image "busybox:latest" in `) || !strings.HasSuffix(got[1], "Image size: 1000 bytes.") {
		t.Errorf("events %q", got)
	}
	if id2, err := m.EnsureImage(ctx, pod, c, nil); err != nil || id2 != id || svc.pullCount() != 1 {
		t.Errorf("second IfNotPresent: %q %v, %d pulls", id2, err, svc.pullCount())
	}
	if got := drain(rec); len(got) != 1 || got[0] != `Normal Pulled Container image "busybox" already present on machine and can be accessed by the pod` {
		t.Errorf("events %q", got)
	}

	// Never, present; Always pulls again; no policy on :latest means Always.
	pod, c = testPod("busybox", corev1.PullNever)
	if _, err := m.EnsureImage(ctx, pod, c, nil); err != nil || svc.pullCount() != 1 {
		t.Errorf("Never, present: %v, %d pulls", err, svc.pullCount())
	}
	pod, c = testPod("busybox", corev1.PullAlways)
	if _, err := m.EnsureImage(ctx, pod, c, nil); err != nil || svc.pullCount() != 2 {
		t.Errorf("Always: %v, %d pulls", err, svc.pullCount())
	}
	pod, c = testPod("busybox", "")
	if _, err := m.EnsureImage(ctx, pod, c, nil); err != nil || svc.pullCount() != 3 {
		t.Errorf("default policy of :latest: %v, %d pulls", err, svc.pullCount())
	}
}

func TestEnsureImageBackOff(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	fail := true
	svc := &fakeImages{PullFunc: func(image string, _ *runtimeapi.AuthConfig) error {
		if fail {
			return fmt.Errorf("rpc error: code = NotFound desc = failed to pull and unpack image %q: not found", image)
		}
		return nil
	}}
	rec := record.NewFakeRecorder(100)
	m := NewManager(Config{Service: svc, Recorder: rec, Clock: clk})
	ctx := context.Background()
	pod, c := testPod("127.0.0.1:1/none:1", corev1.PullIfNotPresent)
	pullMsg := `rpc error: code = NotFound desc = failed to pull and unpack image "127.0.0.1:1/none:1": not found`
	backoffMsg := `Back-off pulling image "127.0.0.1:1/none:1": ErrImagePull: ` + pullMsg

	step := func(d time.Duration) { clk.SetTime(clk.Now().Add(d)) }
	pulled := 0
	for i, delay := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second} {
		_, err := m.EnsureImage(ctx, pod, c, nil)
		pulled++
		if ie := wantError(t, err, ErrImagePull, pullMsg); ie.RetryAfter != delay/2 || svc.pullCount() != pulled {
			t.Errorf("failure %d: retry after %v, %d pulls; want %v, %d", i, ie.RetryAfter, svc.pullCount(), delay/2, pulled)
		}
		if got := drain(rec); len(got) != 3 || got[0] != `Normal Pulling Pulling image "127.0.0.1:1/none:1"` ||
			got[1] != `Warning Failed Failed to pull image "127.0.0.1:1/none:1": `+pullMsg || got[2] != "Warning Failed Error: ErrImagePull" {
			t.Errorf("failure %d: events %q", i, got)
		}
		// In the first half of the back-off the failure stands, no pull.
		step(delay / 4)
		_, err = m.EnsureImage(ctx, pod, c, nil)
		if ie := wantError(t, err, ErrImagePull, pullMsg); ie.RetryAfter != delay/4 || svc.pullCount() != pulled {
			t.Errorf("failure %d, a quarter into the back-off: retry after %v, %d pulls", i, ie.RetryAfter, svc.pullCount())
		}
		if got := drain(rec); len(got) != 1 || got[0] != "Warning Failed Error: ErrImagePull" {
			t.Errorf("failure %d, a quarter into the back-off: events %q", i, got)
		}
		step(delay*3/4 - time.Second)
		_, err = m.EnsureImage(ctx, pod, c, nil)
		if ie := wantError(t, err, ErrImagePullBackOff, backoffMsg); ie.RetryAfter != time.Second || svc.pullCount() != pulled {
			t.Errorf("back-off %d: retry after %v, %d pulls", i, ie.RetryAfter, svc.pullCount())
		}
		if got := drain(rec); len(got) != 2 || got[0] != `Normal BackOff Back-off pulling image "127.0.0.1:1/none:1"` || got[1] != "Warning Failed Error: ImagePullBackOff" {
			t.Errorf("back-off %d: events %q", i, got)
		}
		step(time.Second)
	}

	// Another pod is not held back by this one's back-off.
	other, oc := testPod("127.0.0.1:1/none:1", corev1.PullIfNotPresent)
	other.UID = "uid-other"
	if _, err := m.EnsureImage(ctx, other, oc, nil); !errors.Is(err, ErrImagePull) || svc.pullCount() != pulled+1 {
		t.Errorf("other pod: %v, %d pulls", err, svc.pullCount())
	}

	// Once the image appears the pull succeeds and the back-off is gone.
	fail = false
	if _, err := m.EnsureImage(ctx, pod, c, nil); err != nil {
		t.Errorf("after the image appeared: %v", err)
	}
	// The back-off caps at 5 minutes.
	b := newBackoff(10*time.Second, 5*time.Minute)
	now := time.Now()
	var d time.Duration
	for range 10 {
		d = b.failed("k", now, nil)
	}
	if d != 5*time.Minute {
		t.Errorf("back-off after 10 failures: %v, want 5m", d)
	}
	if d = b.failed("k", now.Add(11*time.Minute), nil); d != 10*time.Second {
		t.Errorf("back-off after 11 idle minutes: %v, want 10s", d)
	}
}

func TestEnsureImageRegistryUnavailable(t *testing.T) {
	svc := &fakeImages{PullFunc: func(string, *runtimeapi.AuthConfig) error {
		return errors.New("RegistryUnavailable: connection refused")
	}}
	m := NewManager(Config{Service: svc})
	pod, c := testPod("r.io/x:1", corev1.PullAlways)
	_, err := m.EnsureImage(context.Background(), pod, c, nil)
	if ie := (*Error)(nil); !errors.As(err, &ie) || ie.Reason.Error() != "RegistryUnavailable" ||
		ie.Message != "image pull failed for r.io/x:1 because the registry is unavailable: connection refused" {
		t.Errorf("error %v", err)
	}
}

func TestEnsureImagePullSecrets(t *testing.T) {
	secrets := map[string]*corev1.Secret{}
	s := dockerConfigJSON("creds", map[string]string{"r.io": "alice:pw"})
	secrets["ns/creds"] = &s
	svc := &fakeImages{PullFunc: func(image string, auth *runtimeapi.AuthConfig) error {
		if auth == nil || auth.Username != "alice" || auth.Password != "pw" {
			return errors.New("401 Unauthorized")
		}
		return nil
	}}
	rec := record.NewFakeRecorder(100)
	m := NewManager(Config{Service: svc, Recorder: rec, Secret: func(_ context.Context, ns, name string) (*corev1.Secret, error) {
		if s := secrets[ns+"/"+name]; s != nil {
			return s, nil
		}
		return nil, fmt.Errorf("secret %q not found", name)
	}})
	ctx := context.Background()

	without, wc := testPod("r.io/private:1", corev1.PullIfNotPresent)
	if _, err := m.EnsureImage(ctx, without, wc, nil); !errors.Is(err, ErrImagePull) {
		t.Fatalf("without a secret: %v, want ErrImagePull", err)
	}
	// A missing secret is named when the pull fails.
	missing, mc := testPod("r.io/private:1", corev1.PullIfNotPresent)
	missing.UID = "uid-missing"
	missing.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "nope"}}
	drain(rec)
	if _, err := m.EnsureImage(ctx, missing, mc, nil); !errors.Is(err, ErrImagePull) {
		t.Fatalf("with a missing secret: %v, want ErrImagePull", err)
	}
	if got := drain(rec); !slices.Contains(got, "Warning FailedToRetrieveImagePullSecret Unable to retrieve some image pull secrets (nope); attempting to pull the image may not succeed.") {
		t.Errorf("events %q", got)
	}
	with, c := testPod("r.io/private:1", corev1.PullIfNotPresent)
	with.UID = "uid-with"
	with.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "missing"}, {Name: "creds"}}
	if _, err := m.EnsureImage(ctx, with, c, nil); err != nil {
		t.Fatalf("with the secret: %v", err)
	}
	n := svc.pullCount()
	// The image is on the node now, but it was pulled with credentials:
	// a pod without them must pull (and fail), one with them need not.
	other, oc := testPod("r.io/private:1", corev1.PullIfNotPresent)
	other.UID = "uid-other"
	if _, err := m.EnsureImage(ctx, other, oc, nil); !errors.Is(err, ErrImagePull) || svc.pullCount() != n+1 {
		t.Errorf("a pod without the secret using the cached image: %v, %d pulls; want ErrImagePull after a pull", err, svc.pullCount()-n)
	}
	with.UID = "uid-with-2"
	if _, err := m.EnsureImage(ctx, with, c, nil); err != nil || svc.pullCount() != n+1 {
		t.Errorf("a pod with the secret: %v, %d pulls; want the cached image", err, svc.pullCount()-n)
	}
}

func TestNodeImages(t *testing.T) {
	svc := &fakeImages{images: map[string]*runtimeapi.Image{}}
	for i := range 60 {
		svc.images[fmt.Sprint(i)] = &runtimeapi.Image{Id: fmt.Sprintf("sha256:%02d", i), Size: uint64(i % 30),
			RepoTags: []string{fmt.Sprintf("r.io/i%d:1", i), "t2", "t3", "t4"}, RepoDigests: []string{fmt.Sprintf("r.io/i%d@sha256:x", i), "d2"}}
	}
	got, err := NodeImages(context.Background(), svc, 0)
	if err != nil || len(got) != 50 {
		t.Fatalf("NodeImages: %d, %v; want 50", len(got), err)
	}
	// Size 29 twice (ids 29 and 59), larger ID first.
	if got[0].SizeBytes != 29 || got[0].Names[0] != "r.io/i59@sha256:x" || got[1].Names[0] != "r.io/i29@sha256:x" {
		t.Errorf("first: %+v %+v", got[0], got[1])
	}
	if n := got[0].Names; len(n) != 5 || n[1] != "d2" || n[2] != "r.io/i59:1" {
		t.Errorf("names %q: want digests then tags, 5 at most", n)
	}
	for i := 1; i < len(got); i++ {
		if got[i].SizeBytes > got[i-1].SizeBytes {
			t.Fatalf("not sorted by size: %d then %d", got[i-1].SizeBytes, got[i].SizeBytes)
		}
	}
}
