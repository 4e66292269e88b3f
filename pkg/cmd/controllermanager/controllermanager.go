package controllermanager

import (
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tinykube/tinykube/pkg/cmd/kubeconfig"
	"github.com/tinykube/tinykube/pkg/controllermanager"
	"github.com/tinykube/tinykube/pkg/pki"
)

// Flags are the controller settings shared by `tinykube server` and
// `tinykube controller-manager`.
type Flags struct {
	Controllers []string
	ClusterCIDR string
	NodeMask    int
	Workers     int
	// NodeMonitorGracePeriod: see controllermanager.Config.
	NodeMonitorGracePeriod time.Duration
	// QPS and Burst of the controllers' API client.
	QPS   float32
	Burst int
	// The CA that signs approved CSRs (csrsigning): PEM files; `tinykube
	// server` uses the cluster CA when they are not set.
	SigningCertFile, SigningKeyFile string
	SigningDuration                 time.Duration
}

// DefaultFlags mirrors controllermanager.DefaultConfig.
func DefaultFlags() *Flags {
	d := controllermanager.DefaultConfig()
	return &Flags{Controllers: d.Controllers, ClusterCIDR: d.ClusterCIDR.String(), NodeMask: d.NodeCIDRMaskSize, Workers: d.Workers,
		QPS: d.QPS, Burst: d.Burst}
}

// Add registers the flags.
func (f *Flags) Add(fs *pflag.FlagSet) {
	fs.StringSliceVar(&f.Controllers, "controllers", f.Controllers, `controllers to run: "*" for all, "-name" to disable one`)
	fs.StringVar(&f.ClusterCIDR, "cluster-cidr", f.ClusterCIDR, "pod network, split into one podCIDR per node")
	fs.IntVar(&f.NodeMask, "node-cidr-mask-size", f.NodeMask, "prefix length of each node's podCIDR")
	fs.IntVar(&f.Workers, "concurrent-syncs", f.Workers, "workers per controller")
	fs.DurationVar(&f.NodeMonitorGracePeriod, "node-monitor-grace-period", f.NodeMonitorGracePeriod,
		"how long a node may go without renewing its Lease before it is marked Unknown (0: 40s)")
	fs.Float32Var(&f.QPS, "kube-api-qps", f.QPS, "queries per second the controllers' API client may send")
	fs.IntVar(&f.Burst, "kube-api-burst", f.Burst, "burst of the controllers' API client")
	fs.StringVar(&f.SigningCertFile, "cluster-signing-cert-file", f.SigningCertFile, "CA certificate that signs approved CertificateSigningRequests of the kubernetes.io signers (tinykube server: the cluster CA by default)")
	fs.StringVar(&f.SigningKeyFile, "cluster-signing-key-file", f.SigningKeyFile, "key of --cluster-signing-cert-file")
	fs.DurationVar(&f.SigningDuration, "cluster-signing-duration", f.SigningDuration, "lifetime of signed certificates (a CSR's expirationSeconds may ask for less; 0: one year)")
}

// Apply copies the flags into cfg.
func (f *Flags) Apply(cfg *controllermanager.Config) error {
	cidr, err := netip.ParsePrefix(f.ClusterCIDR)
	if err != nil {
		return fmt.Errorf("--cluster-cidr: %w", err)
	}
	cfg.Controllers, cfg.ClusterCIDR, cfg.NodeCIDRMaskSize, cfg.Workers = f.Controllers, cidr, f.NodeMask, f.Workers
	cfg.NodeMonitorGracePeriod = f.NodeMonitorGracePeriod
	cfg.QPS, cfg.Burst = f.QPS, f.Burst
	cfg.ClusterSigningDuration = f.SigningDuration
	if (f.SigningCertFile == "") != (f.SigningKeyFile == "") {
		return fmt.Errorf("--cluster-signing-cert-file and --cluster-signing-key-file go together")
	}
	if f.SigningCertFile != "" {
		ca, err := pki.LoadCA(f.SigningCertFile, f.SigningKeyFile)
		if err != nil {
			return fmt.Errorf("--cluster-signing-cert-file: %w", err)
		}
		cfg.ClusterSigningCA = ca
	}
	return nil
}

// NewCommand returns `tinykube controller-manager`.
func NewCommand() *cobra.Command {
	f := DefaultFlags()
	var kc kubeconfig.Flags
	leaderElect := true
	cmd := &cobra.Command{
		Use:   "controller-manager",
		Short: "Run the controllers against a Kubernetes API server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rc, err := kc.RESTConfig()
			if err != nil {
				return err
			}
			cfg := controllermanager.DefaultConfig()
			cfg.RESTConfig, cfg.RootCA, cfg.LeaderElect = rc, rc.CAData, leaderElect
			cfg.Logger = slog.Default() // -v, --logging-format: pkg/logs
			if err := f.Apply(&cfg); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := kubeconfig.WaitForAPIServer(ctx, rc, kubeconfig.DefaultWaitTimeout, cfg.Logger); err != nil {
				return err
			}
			return controllermanager.Run(ctx, cfg)
		},
	}
	kc.AddFlags(cmd.Flags())
	cmd.Flags().BoolVar(&leaderElect, "leader-elect", leaderElect, "run only while holding the kube-system/kube-controller-manager Lease")
	f.Add(cmd.Flags())
	return cmd
}
