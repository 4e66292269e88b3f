package density

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tinykube/tinykube/pkg/bench/densitybench"
	"github.com/tinykube/tinykube/pkg/cmd/bench/benchcmd"
)

type flags struct {
	kubeconfig benchcmd.Kubeconfig
	cfg        densitybench.Config
}

// NewCommand returns `tinykube bench density`.
func NewCommand() *cobra.Command {
	f := &flags{cfg: densitybench.DefaultConfig()}
	cmd := &cobra.Command{
		Use:   "density",
		Short: "Benchmark pod startup: Deployments to Running pods on N Ready nodes",
		Long: `Waits until --nodes nodes are Ready (it starts none: use tinykube server
--simulated-nodes N, or tinykube node --simulated N beside any API server),
creates --deployments Deployments with --pods replicas in total in a fresh
namespace, and measures from one watch on the namespace's pods:
  startup       per pod, first seen by the watch → Running with Ready=True
                (and from creationTimestamp, 1 s resolution) p50/p90/p99/max;
  all running   time from the first create until every pod is Running;
  scheduling    pods bound per second (spec.nodeName seen by the watch);
  mutating API  latency of a probe creating/updating ConfigMaps at
                --probe-rate per second during the run, and of the bench's
                own Deployment creates;
  server RSS    VmRSS of --server-pid (same machine), else null.
The namespace is deleted at the end (bounded by --cleanup-timeout).
The JSON report goes to stdout; progress and a summary go to stderr.`,
		Example: `  tinykube bench density --kubeconfig /tmp/tk/admin.kubeconfig --nodes 100 --pods 3000 --server-pid $(pgrep -nx tinykube)
  tinykube bench density --kubeconfig ~/.cache/tinykube-baseline/kubeconfig --nodes 100 --pods 3000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.runE(cmd) },
	}
	fl := cmd.Flags()
	c := &f.cfg
	f.kubeconfig.AddFlags(fl)
	fl.IntVar(&c.Nodes, "nodes", c.Nodes, "Ready nodes to wait for before creating pods")
	fl.IntVar(&c.Pods, "pods", c.Pods, "pods (replicas) in total, split evenly over the Deployments")
	fl.IntVar(&c.Deployments, "deployments", c.Deployments, "Deployments to create")
	fl.StringVar(&c.PodCPU, "pod-cpu", c.PodCPU, "CPU request of each pod")
	fl.StringVar(&c.PodMemory, "pod-memory", c.PodMemory, "memory request of each pod")
	fl.StringVar(&c.Image, "image", c.Image, "container image (simulated nodes never pull it)")
	fl.IntVar(&c.CreateConcurrency, "create-concurrency", c.CreateConcurrency, "Deployments created at once")
	fl.Float64Var(&c.ProbeRate, "probe-rate", c.ProbeRate, "ConfigMap writes per second by the mutating-API probe during the run (0 disables it)")
	fl.IntVar(&c.ServerPID, "server-pid", 0, "PID of the API server on this machine, to sample its RSS from /proc (0: report null)")
	fl.DurationVar(&c.RSSInterval, "rss-interval", c.RSSInterval, "interval between RSS samples")
	fl.DurationVar(&c.NodeTimeout, "node-timeout", c.NodeTimeout, "how long to wait for --nodes Ready nodes")
	fl.DurationVar(&c.Timeout, "timeout", c.Timeout, "how long to wait, from the first create, for every pod to be Running")
	fl.DurationVar(&c.CleanupTimeout, "cleanup-timeout", c.CleanupTimeout, "how long to wait for the namespace to be deleted")
	fl.Float32Var(&c.QPS, "qps", c.QPS, "client-side QPS limit (high so the client is never the bottleneck)")
	fl.IntVar(&c.Burst, "burst", c.Burst, "client-side burst")
	fl.StringVar(&c.Namespace, "namespace", "", "namespace to create (default: a fresh tinykube-density-<id>); must not exist")
	fl.BoolVar(&c.KeepNamespace, "keep-namespace", false, "do not delete the namespace (and its pods) at the end")
	return cmd
}

func (f *flags) runE(cmd *cobra.Command) error {
	rc, err := f.kubeconfig.RESTConfig()
	if err != nil {
		return err
	}
	f.cfg.RESTConfig = rc
	f.cfg.Target = rc.Host
	f.cfg.Log = cmd.ErrOrStderr()
	return benchcmd.Run(cmd, func(ctx context.Context) (*densitybench.Report, error) { return densitybench.Run(ctx, f.cfg) })
}
