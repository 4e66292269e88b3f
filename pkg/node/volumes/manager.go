package volumes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/node/envvars"
)

// Plugin directory names under a pod's volumes directory, as the
// kubelet's.
const (
	pluginEmptyDir    = "kubernetes.io~empty-dir"
	pluginConfigMap   = "kubernetes.io~configmap"
	pluginSecret      = "kubernetes.io~secret"
	pluginDownwardAPI = "kubernetes.io~downward-api"
	pluginProjected   = "kubernetes.io~projected"
)

// Config configures a Manager.
type Config struct {
	// RootDir is the node's data directory; pods' volumes live under
	// RootDir/pods/<uid>/volumes.
	RootDir string
	// Client reads PersistentVolumeClaims and PersistentVolumes and
	// requests service account tokens.
	Client kubernetes.Interface
	// Getter reads ConfigMaps and Secrets (nil: through Client).
	Getter envvars.Getter
	// Allocatable is the node's, standing in for unset limits in
	// downwardAPI resourceFieldRefs and sizing Memory emptyDirs without
	// a sizeLimit.
	Allocatable corev1.ResourceList
	// Clock times token renewals (nil: the real clock).
	Clock clock.PassiveClock
}

// Manager sets up, updates and tears down pods' volumes. It is safe for
// concurrent use; calls for one pod must not overlap (the agent syncs a
// pod from one worker at a time).
type Manager struct {
	cfg Config

	mu   sync.Mutex
	pods map[types.UID]*podVolumes
}

// podVolumes is what the Manager knows of one pod's volumes.
type podVolumes struct {
	mu sync.Mutex
	// paths: volume name -> host path, once set up.
	paths map[string]mounted
	// tokens: "<volume>/<source index>" -> the current token.
	tokens map[string]*token
}

type mounted struct {
	path     string
	readOnly bool
	// atomic: written by WriteAtomic (no subPath directories created).
	atomic bool
}

// MountError is a volume that could not be set up; the agent reports it
// as a FailedMount event and retries.
type MountError struct {
	Volume string
	Err    error
}

func (e *MountError) Error() string {
	return fmt.Sprintf("MountVolume.SetUp failed for volume %q : %v", e.Volume, e.Err)
}

func (e *MountError) Unwrap() error { return e.Err }

// MountErrors returns the MountErrors in an error from SetUp or Update.
func MountErrors(err error) []*MountError {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*MountError
		for _, e := range j.Unwrap() {
			out = append(out, MountErrors(e)...)
		}
		return out
	}
	var me *MountError
	if errors.As(err, &me) {
		return []*MountError{me}
	}
	return nil
}

// New returns a Manager.
func New(cfg Config) (*Manager, error) {
	if cfg.RootDir == "" {
		return nil, errors.New("volumes: RootDir is required")
	}
	if cfg.Client == nil {
		return nil, errors.New("volumes: Client is required")
	}
	if cfg.Getter == nil {
		cfg.Getter = envvars.ClientGetter{Client: cfg.Client}
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	return &Manager{cfg: cfg, pods: map[types.UID]*podVolumes{}}, nil
}

// PodDir is the directory of a pod's node-side state.
func (m *Manager) PodDir(uid types.UID) string {
	return filepath.Join(m.cfg.RootDir, "pods", string(uid))
}

func (m *Manager) volumeDir(uid types.UID, plugin, name string) string {
	return filepath.Join(m.PodDir(uid), "volumes", plugin, name)
}

func (m *Manager) state(uid types.UID) *podVolumes {
	m.mu.Lock()
	defer m.mu.Unlock()
	pv := m.pods[uid]
	if pv == nil {
		pv = &podVolumes{paths: map[string]mounted{}, tokens: map[string]*token{}}
		m.pods[uid] = pv
	}
	return pv
}

// SetUp materialises every volume of pod (idempotently: a volume set up
// before is checked and its files refreshed). Volumes that cannot be set
// up yet come back as MountErrors joined into the error; the others are
// set up regardless.
func (m *Manager) SetUp(ctx context.Context, pod *corev1.Pod) error {
	return m.sync(ctx, pod, false)
}

// Update refreshes the volumes whose contents come from the API —
// configMap, secret, downwardAPI and projected, renewing tokens due — so
// that running containers see changes. The agent calls it periodically
// and when a ConfigMap or Secret a pod uses (References) changes.
func (m *Manager) Update(ctx context.Context, pod *corev1.Pod) error {
	return m.sync(ctx, pod, true)
}

func (m *Manager) sync(ctx context.Context, pod *corev1.Pod, onlyProjected bool) error {
	pv := m.state(pod.UID)
	pv.mu.Lock()
	defer pv.mu.Unlock()
	src := &sources{getter: m.cfg.Getter, client: m.cfg.Client, ns: pod.Namespace,
		cms: map[string]cached[*corev1.ConfigMap]{}, secrets: map[string]cached[*corev1.Secret]{}}
	var errs []error
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		projected := v.ConfigMap != nil || v.Secret != nil || v.DownwardAPI != nil || v.Projected != nil
		if onlyProjected && !projected {
			continue
		}
		mt, err := m.setUpVolume(ctx, pod, v, pv, src)
		if err != nil {
			errs = append(errs, &MountError{Volume: v.Name, Err: err})
			continue
		}
		pv.paths[v.Name] = mt
	}
	return errors.Join(errs...)
}

func (m *Manager) setUpVolume(ctx context.Context, pod *corev1.Pod, v *corev1.Volume, pv *podVolumes, src *sources) (mounted, error) {
	switch {
	case v.EmptyDir != nil:
		return m.setUpEmptyDir(pod, v)
	case v.HostPath != nil:
		t := corev1.HostPathUnset
		if v.HostPath.Type != nil {
			t = *v.HostPath.Type
		}
		if err := checkHostPath(v.HostPath.Path, t); err != nil {
			return mounted{}, err
		}
		return mounted{path: v.HostPath.Path}, nil
	case v.PersistentVolumeClaim != nil:
		return m.setUpClaim(ctx, pod, v, src)
	case v.ConfigMap != nil, v.Secret != nil, v.DownwardAPI != nil, v.Projected != nil:
		return m.setUpProjection(ctx, pod, v, pv, src)
	}
	return mounted{}, fmt.Errorf("volume type not supported on this node")
}

// Mounts returns the CRI mounts of container c, in its volumeMounts
// order. lookup expands subPathExpr (the container's environment;
// envvars.Lookup). Every volume mounted must have been set up.
func (m *Manager) Mounts(pod *corev1.Pod, c *corev1.Container, lookup func(string) (string, bool)) ([]*runtimeapi.Mount, error) {
	pv := m.state(pod.UID)
	pv.mu.Lock()
	defer pv.mu.Unlock()
	out := make([]*runtimeapi.Mount, 0, len(c.VolumeMounts))
	for _, vm := range c.VolumeMounts {
		mt, ok := pv.paths[vm.Name]
		if !ok {
			return nil, fmt.Errorf("volume %q of container %s is not set up", vm.Name, c.Name)
		}
		host := mt.path
		sub := vm.SubPath
		if vm.SubPathExpr != "" {
			if lookup == nil {
				lookup = func(string) (string, bool) { return "", false }
			}
			sub = envvars.Expand(vm.SubPathExpr, lookup)
		}
		if sub != "" {
			p, err := subPath(host, sub, !mt.atomic)
			if err != nil {
				return nil, fmt.Errorf("volume %q subPath %q: %w", vm.Name, sub, err)
			}
			host = p
		}
		out = append(out, &runtimeapi.Mount{
			ContainerPath: vm.MountPath, HostPath: host, Readonly: vm.ReadOnly || mt.readOnly,
			SelinuxRelabel: false, Propagation: propagation(vm.MountPropagation),
		})
	}
	return out, nil
}

// subPath resolves sub under the volume at host, refusing anything that
// leaves it (.., absolute paths, symlinks out); create makes a missing
// directory, as the kubelet does for writable volumes.
func subPath(host, sub string, create bool) (string, error) {
	if filepath.IsAbs(sub) {
		return "", errors.New("must be a relative path")
	}
	for _, part := range strings.Split(filepath.ToSlash(sub), "/") {
		if part == ".." {
			return "", errors.New("must not contain '..'")
		}
	}
	p := filepath.Join(host, sub)
	if _, err := os.Lstat(p); os.IsNotExist(err) {
		if !create {
			return "", err
		}
		if err := os.MkdirAll(p, 0o750); err != nil {
			return "", err
		}
	}
	base, err := filepath.EvalSymlinks(host)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	if real != base && !strings.HasPrefix(real, base+string(filepath.Separator)) {
		return "", fmt.Errorf("resolves to %s, outside the volume", real)
	}
	return real, nil
}

func propagation(p *corev1.MountPropagationMode) runtimeapi.MountPropagation {
	if p == nil {
		return runtimeapi.MountPropagation_PROPAGATION_PRIVATE
	}
	switch *p {
	case corev1.MountPropagationHostToContainer:
		return runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER
	case corev1.MountPropagationBidirectional:
		return runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL
	}
	return runtimeapi.MountPropagation_PROPAGATION_PRIVATE
}

// Teardown removes everything of pod uid from the node: tmpfs and any
// other mounts under its directory are unmounted first, then the
// directory is removed. A pod never set up is not an error.
func (m *Manager) Teardown(uid types.UID) error {
	m.mu.Lock()
	delete(m.pods, uid)
	m.mu.Unlock()
	dir := m.PodDir(uid)
	if _, err := os.Lstat(dir); os.IsNotExist(err) {
		return nil
	}
	if err := unmountUnder(dir); err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// References returns the names of the ConfigMaps and Secrets pod's
// volumes project, so that the agent can Update the pods that use an
// object that changed.
func References(pod *corev1.Pod) (configMaps, secrets []string) {
	cms, scs := map[string]bool{}, map[string]bool{}
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.ConfigMap != nil:
			cms[v.ConfigMap.Name] = true
		case v.Secret != nil:
			scs[v.Secret.SecretName] = true
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil {
					cms[s.ConfigMap.Name] = true
				}
				if s.Secret != nil {
					scs[s.Secret.Name] = true
				}
			}
		}
	}
	keys := func(m map[string]bool) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	return keys(cms), keys(scs)
}

// CleanupOrphans tears down the volumes of every pod under RootDir/pods
// for which running reports false: pods deleted while the agent was not
// looking (it restarted, or a pod went away before it ever started).
// Entries that are not pod UIDs (the agent's log directories are
// <namespace>_<name>_<uid>) are left alone.
func (m *Manager) CleanupOrphans(running func(types.UID) bool) error {
	entries, err := os.ReadDir(filepath.Join(m.cfg.RootDir, "pods"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		uid := types.UID(e.Name())
		if !e.IsDir() || strings.Contains(e.Name(), "_") || running(uid) {
			continue
		}
		if _, err := os.Stat(filepath.Join(m.PodDir(uid), "volumes")); err != nil {
			continue // not a pod's volumes directory
		}
		if err := m.Teardown(uid); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
