package scheduler

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tinykube/tinykube/pkg/cmd/kubeconfig"
	"github.com/tinykube/tinykube/pkg/scheduler"
)

// Flags are the scheduler settings shared by `tinykube server` and
// `tinykube scheduler`.
type Flags struct {
	SchedulerName string
	QPS           float32
	Burst         int
}

// DefaultFlags mirrors scheduler.DefaultConfig.
func DefaultFlags() *Flags {
	d := scheduler.DefaultConfig()
	return &Flags{SchedulerName: d.SchedulerName, QPS: d.QPS, Burst: d.Burst}
}

// Add registers the flags.
func (f *Flags) Add(fs *pflag.FlagSet) {
	fs.StringVar(&f.SchedulerName, "scheduler-name", f.SchedulerName, "schedule pods whose spec.schedulerName is this")
	fs.Float32Var(&f.QPS, "scheduler-kube-api-qps", f.QPS, "scheduler's API requests per second")
	fs.IntVar(&f.Burst, "scheduler-kube-api-burst", f.Burst, "scheduler's API request burst")
}

// Apply copies the flags into cfg.
func (f *Flags) Apply(cfg *scheduler.Config) {
	cfg.SchedulerName, cfg.QPS, cfg.Burst = f.SchedulerName, f.QPS, f.Burst
}

// NewCommand returns `tinykube scheduler`.
func NewCommand() *cobra.Command {
	f := DefaultFlags()
	var kc kubeconfig.Flags
	leaderElect := true
	cmd := &cobra.Command{
		Use:   "scheduler",
		Short: "Run the scheduler against a Kubernetes API server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rc, err := kc.RESTConfig()
			if err != nil {
				return err
			}
			cfg := scheduler.DefaultConfig()
			cfg.RESTConfig, cfg.LeaderElect = rc, leaderElect
			cfg.Logger = slog.Default() // -v, --logging-format: pkg/logs
			f.Apply(&cfg)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := kubeconfig.WaitForAPIServer(ctx, rc, kubeconfig.DefaultWaitTimeout, cfg.Logger); err != nil {
				return err
			}
			return scheduler.Run(ctx, cfg)
		},
	}
	kc.AddFlags(cmd.Flags())
	cmd.Flags().BoolVar(&leaderElect, "leader-elect", leaderElect, "run only while holding the kube-system/kube-scheduler Lease")
	f.Add(cmd.Flags())
	return cmd
}
