package stats

import (
	"context"
	"errors"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	statsapi "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
	"k8s.io/utils/clock"
)

// Runtime is the part of CRI the provider reads; the node's CRI client
// satisfies it. ImageFsInfo may answer Unimplemented.
type Runtime interface {
	ListContainers(ctx context.Context, filter *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error)
	ListContainerStats(ctx context.Context, filter *runtimeapi.ContainerStatsFilter) ([]*runtimeapi.ContainerStats, error)
	ListPodSandboxStats(ctx context.Context, filter *runtimeapi.PodSandboxStatsFilter) ([]*runtimeapi.PodSandboxStats, error)
	ImageFsInfo(ctx context.Context) (*runtimeapi.ImageFsInfoResponse, error)
}

// Config configures a Provider.
type Config struct {
	NodeName string
	Runtime  Runtime
	// Pods returns the pods bound to the node (read only).
	Pods func() []*corev1.Pod
	// DataDir is the node's data dir: the node file system, pod logs
	// under DataDir/pods/<namespace>_<name>_<uid>, volumes under
	// DataDir/pods/<uid>/volumes.
	DataDir string
	// ImageFsDir is on the runtime's image file system ("": DataDir).
	ImageFsDir string
	// CgroupRoot is the pods' cgroup parent: <CgroupRoot>/pod<uid>.
	CgroupRoot string
	// CgroupFS (default /sys/fs/cgroup) and Proc (default /proc) are for
	// tests.
	CgroupFS, Proc string
	Clock          clock.PassiveClock
}

// Provider builds summaries. Safe for concurrent use.
type Provider struct {
	cfg Config

	mu sync.Mutex
	// cpu remembers the last CPU sample of the node ("") and of each
	// container and pod cgroup, for usageNanoCores.
	cpu map[string]cpuSample
}

type cpuSample struct {
	at    time.Time
	total uint64
}

// New returns a Provider.
func New(cfg Config) (*Provider, error) {
	if cfg.Runtime == nil || cfg.Pods == nil || cfg.DataDir == "" {
		return nil, errors.New("stats: Runtime, Pods and DataDir are required")
	}
	if cfg.ImageFsDir == "" {
		cfg.ImageFsDir = cfg.DataDir
	}
	if cfg.CgroupRoot == "" {
		cfg.CgroupRoot = "/tinykube"
	}
	if cfg.CgroupFS == "" {
		cfg.CgroupFS = "/sys/fs/cgroup"
	}
	if cfg.Proc == "" {
		cfg.Proc = "/proc"
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	return &Provider{cfg: cfg, cpu: map[string]cpuSample{}}, nil
}

// Summary is the node's stats summary now.
func (p *Provider) Summary(ctx context.Context) (*statsapi.Summary, error) {
	now := p.cfg.Clock.Now()
	node, err := p.nodeStats(ctx, now)
	if err != nil {
		return nil, err
	}
	pods, err := p.podStats(ctx, now, node.Fs)
	if err != nil {
		return nil, err
	}
	return &statsapi.Summary{Node: *node, Pods: pods}, nil
}

// usageNanoCores is the CPU rate of key since its last sample, which
// total at now replaces; nil for the first sample.
func (p *Provider) usageNanoCores(key string, total uint64, now time.Time) *uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	prev, ok := p.cpu[key]
	p.cpu[key] = cpuSample{at: now, total: total}
	if !ok || !now.After(prev.at) || total < prev.total {
		return nil
	}
	rate := uint64(float64(total-prev.total) / now.Sub(prev.at).Seconds())
	return &rate
}

// forget drops the CPU samples of keys not in keep (containers gone).
func (p *Provider) forget(keep map[string]bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.cpu {
		if k != "" && !keep[k] {
			delete(p.cpu, k)
		}
	}
}

func u64(v uint64) *uint64 { return &v }

func mtime(t time.Time) metav1.Time { return metav1.NewTime(t) }

var errNoCgroup = errors.New("stats: no such cgroup")
