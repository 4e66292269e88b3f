package node

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
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/cmd/kubeconfig"
	"github.com/tinykube/tinykube/pkg/node"
	"github.com/tinykube/tinykube/pkg/node/simulated"
)

// Flags configure the nodes: simulated ones (the default; `tinykube
// server --simulated-nodes` uses the defaults) or one real node
// (--runtime containerd, real.go).
type Flags struct {
	Config     node.Config
	Real       RealFlags
	Join       JoinFlags
	Kubeconfig kubeconfig.Flags
}

// DefaultFlags mirrors node.DefaultConfig.
func DefaultFlags() *Flags {
	return &Flags{Config: node.DefaultConfig(), Real: DefaultRealFlags(), Join: JoinFlags{Timeout: 2 * time.Minute}}
}

func (f *Flags) add(fs *pflag.FlagSet) {
	c := &f.Config
	f.Kubeconfig.AddFlags(fs)
	fs.IntVar(&c.Count, "simulated", c.Count, "number of simulated nodes to run")
	fs.StringVar(&c.NamePrefix, "name-prefix", c.NamePrefix, "node names are <prefix><index>")
	fs.IntVar(&c.FirstIndex, "first-index", c.FirstIndex, "index of the first node (to run several agents side by side)")
	fs.Var(&quantity{&c.CPU}, "cpu", "CPU capacity (and allocatable) of each node")
	fs.Var(&quantity{&c.Memory}, "memory", "memory capacity (and allocatable) of each node")
	fs.Int64Var(&c.MaxPods, "max-pods", c.MaxPods, "pods capacity of each node")
	fs.StringToStringVar(&c.Labels, "node-labels", c.Labels, "extra labels on every node")
	fs.DurationVar(&c.LeaseDuration, "lease-duration", c.LeaseDuration, "Lease duration written to kube-node-lease")
	fs.DurationVar(&c.LeaseRenewInterval, "lease-renew-interval", c.LeaseRenewInterval, "interval between Lease renewals")
	fs.DurationVar(&c.StatusReportInterval, "node-status-report-frequency", c.StatusReportInterval, "interval between unchanged node status reports")
	fs.DurationVar(&c.ShutdownDelay, "shutdown-delay", c.ShutdownDelay, "simulated container shutdown on graceful delete (capped by the grace period)")
	fs.StringSliceVar(&c.FailingImages, "simulated-failing-images", c.FailingImages, SimulatedFailingImagesUsage)
	fs.DurationVar(&c.JobCompleteDelay, "simulated-job-delay", c.JobCompleteDelay, SimulatedJobDelayUsage)
	fs.DurationVar(&c.JobCompleteJitter, "simulated-job-jitter", c.JobCompleteJitter, SimulatedJobJitterUsage)
	fs.DurationVar(&c.RestartBackoff, "restart-backoff", c.RestartBackoff, "first back-off before restarting an exited container (doubles up to 5m)")
	fs.Float32Var(&c.QPS, "kube-api-qps", c.QPS, "API requests per second, shared by all nodes")
	fs.IntVar(&c.Burst, "kube-api-burst", c.Burst, "API request burst, shared by all nodes")
	f.Real.add(fs)
	f.Join.add(fs)
}

// SimulatedFailingImagesUsage is the help of --simulated-failing-images
// (tinykube node and tinykube server).
const SimulatedFailingImagesUsage = "glob patterns ('*' matches any characters) of images simulated nodes fail to pull (ErrImagePull, then ImagePullBackOff), matched against the image as written and fully qualified (docker.io/library/busybox:latest); an image reference that does not parse fails too (InvalidImageName)"

// SimulatedJobDelayUsage and SimulatedJobJitterUsage are the help of
// --simulated-job-delay and --simulated-job-jitter.
const (
	SimulatedJobDelayUsage  = "a simulated container of a pod owned by a Job completes (exit 0) this long after it starts, plus the jitter (kwok's pod-complete stage; the sim.tinykube.io/exit-after annotation overrides it)"
	SimulatedJobJitterUsage = "up to this much more than --simulated-job-delay, chosen from each pod's UID"
)

// Run runs the nodes on the simulated runtime until ctx ends.
func Run(ctx context.Context, rc *rest.Config, cfg node.Config) error {
	host := simulated.NewHost(clock.RealClock{})
	go host.Run(ctx)
	cfg.RESTConfig = rc
	cfg.NewRuntime = func(string) node.Runtime { return host.NewRuntime() }
	agent, err := node.New(cfg)
	if err != nil {
		return err
	}
	return agent.Run(ctx)
}

// NewCommand returns `tinykube node`.
func NewCommand() *cobra.Command {
	f := DefaultFlags()
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run nodes against a Kubernetes API server: simulated ones, or one real node (--runtime containerd)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.Config.Logger = slog.Default() // -v, --logging-format: pkg/logs
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var rc *rest.Config
			var err error
			if f.joining(cmd.Flags().Changed("runtime")) {
				rc, err = f.joinConfig(ctx, f.Config.Logger)
			} else if rc, err = f.Kubeconfig.RESTConfig(); err == nil {
				err = kubeconfig.WaitForAPIServer(ctx, rc, kubeconfig.DefaultWaitTimeout, f.Config.Logger)
			}
			if err != nil {
				return err
			}
			switch f.Real.Runtime {
			case "simulated":
				return Run(ctx, rc, f.Config)
			case "containerd":
				f.Config.RESTConfig = rc
				return RunReal(ctx, f.Config, f.Real)
			default:
				return fmt.Errorf("--runtime %q: want simulated or containerd", f.Real.Runtime)
			}
		},
	}
	f.add(cmd.Flags())
	return cmd
}

// quantity is a resource.Quantity flag.
type quantity struct{ q *resource.Quantity }

func (q *quantity) String() string {
	if q.q == nil {
		return ""
	}
	return q.q.String()
}

func (q *quantity) Set(s string) error {
	v, err := resource.ParseQuantity(s)
	if err != nil {
		return fmt.Errorf("quantity %q: %w", s, err)
	}
	*q.q = v
	return nil
}

func (q *quantity) Type() string { return "quantity" }
