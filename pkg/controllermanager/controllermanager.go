package controllermanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sort"
	"sync"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/leaderelect"
	"github.com/tinykube/tinykube/pkg/pki"
)

// Config configures a controller manager. DefaultConfig fills the defaults.
type Config struct {
	// RESTConfig reaches the API server.
	RESTConfig *rest.Config
	// Controllers to run by name; "*" (the default) runs all, "-name"
	// disables one.
	Controllers []string
	// ClusterCIDR is the pod network split into per-node podCIDRs by
	// node IPAM; NodeCIDRMaskSize is each node's prefix length.
	ClusterCIDR      netip.Prefix
	NodeCIDRMaskSize int
	// NodeMonitorGracePeriod without a Lease renewal before a node goes
	// Unknown (0: node lifecycle's default, upstream's 40 s).
	NodeMonitorGracePeriod time.Duration
	// RootCA is published as the kube-root-ca.crt ConfigMap in every
	// namespace.
	RootCA []byte
	// ClusterSigningCA signs approved CSRs of the kubernetes.io signers
	// (nil: csrsigning is off); ClusterSigningDuration is how long their
	// certificates last (0: one year).
	ClusterSigningCA       *pki.CA
	ClusterSigningDuration time.Duration
	// LeaderElect runs controllers only while holding the Lease
	// kube-system/kube-controller-manager.
	LeaderElect bool
	// Identity names this process in the Lease (default hostname + pid).
	Identity string
	// Workers per controller (default 5).
	Workers int
	// ResyncPeriod of the shared informers (default 0: none).
	ResyncPeriod time.Duration
	// QPS and Burst of the controllers' API client (default 200 / 400;
	// upstream's kube-controller-manager defaults to 20 / 30). The limit
	// is what paces a burst of pod creates: at 500 / 1000 the ReplicaSets
	// of a 3,000-pod density run created pods faster than the scheduler
	// and nodes on a 2-core machine could take them, so pods queued for
	// seconds (startup p99 4.3 s) and all were Running no sooner; at
	// 200 / 400 they ran in 13 s with p99 0.5–0.6 s (BENCHMARKS.md §5).
	QPS    float32
	Burst  int
	Logger *slog.Logger
	// Clock is the controllers' clock (nil: the real clock).
	Clock clock.WithTicker
}

// DefaultConfig returns the defaults of `tinykube controller-manager`.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	return Config{
		Controllers: []string{"*"}, ClusterCIDR: netip.MustParsePrefix("10.244.0.0/16"), NodeCIDRMaskSize: 24,
		LeaderElect: true, Identity: fmt.Sprintf("%s_%d", host, os.Getpid()), Workers: 5,
		QPS: 200, Burst: 400,
	}
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	if c.RESTConfig == nil {
		return errors.New("controller-manager: RESTConfig is required")
	}
	if c.ClusterCIDR.IsValid() && (c.NodeCIDRMaskSize <= c.ClusterCIDR.Bits() || c.NodeCIDRMaskSize > c.ClusterCIDR.Addr().BitLen()) {
		return fmt.Errorf("controller-manager: node CIDR mask /%d does not fit in cluster CIDR %s", c.NodeCIDRMaskSize, c.ClusterCIDR)
	}
	return nil
}

// enabled reports whether the named controller is selected.
func (c Config) enabled(name string) bool {
	on := false
	for _, s := range c.Controllers {
		switch s {
		case "*":
			on = true
		case name:
			on = true
		case "-" + name:
			return false
		}
	}
	return on
}

// Run runs the selected controllers until ctx ends. With LeaderElect it
// first acquires the Lease and stops everything if it loses it.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 5
	}
	cfg.RESTConfig = clientConfig(cfg)
	client, err := kubernetes.NewForConfig(cfg.RESTConfig)
	if err != nil {
		return err
	}
	if !cfg.LeaderElect {
		return runControllers(ctx, cfg, client)
	}
	return leaderelect.Run(ctx, client, "kube-controller-manager", cfg.Identity, cfg.Logger, func(ctx context.Context) error {
		return runControllers(ctx, cfg, client)
	})
}

// runControllers builds every enabled controller on one informer factory
// and runs them until ctx ends.
func runControllers(ctx context.Context, cfg Config, client kubernetes.Interface) error {
	meta, err := metadata.NewForConfig(cfg.RESTConfig)
	if err != nil {
		return err
	}
	cc := controller.Context{
		Client: client, Metadata: meta, RESTConfig: cfg.RESTConfig,
		Informers:   informers.NewSharedInformerFactory(client, cfg.ResyncPeriod),
		ClusterCIDR: cfg.ClusterCIDR, NodeCIDRMaskSize: cfg.NodeCIDRMaskSize, RootCA: cfg.RootCA,
		ClusterSigningCA: cfg.ClusterSigningCA, ClusterSigningDuration: cfg.ClusterSigningDuration,
		NodeMonitorGracePeriod: cfg.NodeMonitorGracePeriod, Logger: cfg.Logger,
		Clock: cfg.Clock,
	}
	names := make([]string, 0, len(controllers))
	for name := range controllers {
		names = append(names, name)
	}
	sort.Strings(names)
	var runners []controller.Runner
	var started []string
	for _, name := range names {
		if !cfg.enabled(name) {
			continue
		}
		r, err := controllers[name](ctx, cc)
		if err != nil {
			return fmt.Errorf("controller %s: %w", name, err)
		}
		if r == nil {
			continue // disabled by its own configuration
		}
		runners = append(runners, r)
		started = append(started, name)
	}
	cc.Informers.Start(ctx.Done())
	cfg.Logger.Info("controller-manager: starting controllers", "controllers", started)
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Run(ctx, cfg.Workers)
		}()
	}
	wg.Wait()
	cc.Informers.Shutdown()
	return nil
}

// clientConfig is the controllers' client config: their user agent and
// rate limits.
func clientConfig(cfg Config) *rest.Config {
	c := rest.CopyConfig(cfg.RESTConfig)
	c.UserAgent = "tinykube-controller-manager"
	if cfg.QPS > 0 {
		c.QPS, c.Burst = cfg.QPS, cfg.Burst
	}
	return c
}
