package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/pkg/cmd/kubeconfig"
	"github.com/tinykube/tinykube/pkg/proxy"
)

// Flags are the proxy's settings, shared by `tinykube proxy` and the
// real node (`tinykube node`, `tinykube server --node`).
type Flags struct {
	// ClusterCIDR: pod sources; ClusterIP traffic from elsewhere is
	// masqueraded ("": the node's podCIDR).
	ClusterCIDR   string
	MinSyncPeriod time.Duration
	SyncPeriod    time.Duration
}

// DefaultFlags mirrors proxy.DefaultConfig.
func DefaultFlags() Flags {
	d := proxy.DefaultConfig()
	return Flags{MinSyncPeriod: d.MinSyncPeriod, SyncPeriod: d.SyncPeriod}
}

// Add registers the flags; prefix ("proxy-") names them inside other
// commands.
func (f *Flags) Add(fs *pflag.FlagSet, prefix string) {
	if prefix == "" {
		fs.StringVar(&f.ClusterCIDR, "cluster-cidr", f.ClusterCIDR, "the pods' network: ClusterIP traffic from other sources is masqueraded (default: the node's podCIDR)")
	}
	fs.DurationVar(&f.MinSyncPeriod, prefix+"min-sync-period", f.MinSyncPeriod, "service proxy: at most one nftables sync per this long (changes in between are batched)")
	fs.DurationVar(&f.SyncPeriod, prefix+"sync-period", f.SyncPeriod, "service proxy: a full nftables resync this often")
}

// Config is the proxy's config for node nodeName.
func (f *Flags) Config(rc *rest.Config, nodeName string, logger *slog.Logger) (proxy.Config, error) {
	rc = rest.CopyConfig(rc)
	rc.UserAgent = "tinykube-proxy"
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return proxy.Config{}, err
	}
	return proxy.Config{Client: client, NodeName: nodeName, ClusterCIDR: f.ClusterCIDR,
		MinSyncPeriod: f.MinSyncPeriod, SyncPeriod: f.SyncPeriod, Logger: logger}, nil
}

// Run runs the proxy until ctx ends.
func Run(ctx context.Context, cfg proxy.Config) error {
	p, err := proxy.New(cfg)
	if err != nil {
		return err
	}
	return p.Run(ctx)
}

// NewCommand returns `tinykube proxy`.
func NewCommand() *cobra.Command {
	f := DefaultFlags()
	var kc kubeconfig.Flags
	var nodeName string
	var cleanup bool
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Run the service proxy (kube-proxy's nftables mode, table inet " + proxy.Table + ") against a Kubernetes API server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if cleanup {
				return proxy.Cleanup(ctx, nil)
			}
			rc, err := kc.RESTConfig()
			if err != nil {
				return err
			}
			if nodeName == "" {
				if nodeName, err = os.Hostname(); err != nil {
					return fmt.Errorf("--hostname-override: %w", err)
				}
			}
			cfg, err := f.Config(rc, nodeName, slog.Default()) // -v, --logging-format: pkg/logs
			if err != nil {
				return err
			}
			if err := kubeconfig.WaitForAPIServer(ctx, rc, kubeconfig.DefaultWaitTimeout, slog.Default()); err != nil {
				return err
			}
			return Run(ctx, cfg)
		},
	}
	kc.AddFlags(cmd.Flags())
	cmd.Flags().StringVar(&nodeName, "hostname-override", "", "the node this proxy runs on: its endpoints are local (traffic policy Local) (default: the host name)")
	cmd.Flags().StringVar(&nodeName, "node-name", "", "the same as --hostname-override")
	cmd.Flags().BoolVar(&cleanup, "cleanup", false, "remove the proxy's nftables rules and exit")
	f.Add(cmd.Flags(), "")
	return cmd
}
