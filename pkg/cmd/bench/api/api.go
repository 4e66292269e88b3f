package api

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tinykube/tinykube/pkg/bench"
	"github.com/tinykube/tinykube/pkg/bench/apibench"
	"github.com/tinykube/tinykube/pkg/cmd/bench/benchcmd"
)

type flags struct {
	kubeconfig benchcmd.Kubeconfig
	cfg        apibench.Config
}

// NewCommand returns `tinykube bench api`.
func NewCommand() *cobra.Command {
	f := &flags{cfg: apibench.DefaultConfig()}
	cmd := &cobra.Command{
		Use:   "api",
		Short: "Benchmark pod CRUD, large lists and watch fan-out through the Kubernetes API",
		Long: `Creates a fresh namespace and measures, through client-go typed clients only:
  crud   creates/s, gets/s, updates/s and deletes/s of small realistic pods at
         each --concurrency level (--count operations or --duration per phase);
  list   full-list latency and size with --list-objects pods, resourceVersion
         "" (consistent) and "0";
  watch  delivery latency from one writer to --watchers watches, and whether
         every event arrived.
Pods are never scheduled (no nodes needed). The namespace is deleted at the end.
The JSON report goes to stdout; progress and a summary go to stderr.`,
		Example: `  tinykube bench api --kubeconfig ~/.cache/tinykube-baseline/kubeconfig
  tinykube bench api --kubeconfig admin.kubeconfig --phases crud --concurrency 1,8,32 --duration 10s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.runE(cmd) },
	}
	fl := cmd.Flags()
	c := &f.cfg
	f.kubeconfig.AddFlags(fl)
	fl.StringSliceVar(&c.Phases, "phases", c.Phases, "phases to run, in order: crud, list, watch")
	fl.IntSliceVar(&c.Concurrency, "concurrency", c.Concurrency, "concurrency levels (workers) for the crud phases")
	fl.IntVar(&c.Count, "count", c.Count, "operations per crud phase and concurrency level (ignored when --duration is set)")
	fl.DurationVar(&c.Duration, "duration", c.Duration, "run each crud phase for this long instead of --count operations")
	fl.StringVar(&c.ClientMode, "client-mode", c.ClientMode, `"shared": one client (one HTTP/2 connection) for all workers of a phase, as a controller process would; "per-worker": a client and connection per worker and per watcher`)
	fl.StringVar(&c.ContentType, "content-type", c.ContentType, `wire format: "protobuf" (what controllers use for built-in types) or "json" (what kubectl uses)`)
	fl.Float32Var(&c.QPS, "qps", c.QPS, "client-side QPS limit per client (high so the client is never the bottleneck)")
	fl.IntVar(&c.Burst, "burst", c.Burst, "client-side burst per client")
	fl.IntVar(&c.ListObjects, "list-objects", c.ListObjects, "pods to create for the list phase")
	fl.IntVar(&c.ListIterations, "list-iterations", c.ListIterations, "full lists to time per resourceVersion mode")
	fl.IntVar(&c.ListConcurrency, "list-create-concurrency", 0, "workers creating the list-phase pods (default: the highest --concurrency)")
	fl.IntVar(&c.Watchers, "watchers", c.Watchers, "concurrent watches for the watch phase")
	fl.IntVar(&c.WatchEvents, "watch-events", c.WatchEvents, "writes during the watch phase (first half creates, second half updates)")
	fl.Float64Var(&c.WatchRate, "watch-rate", c.WatchRate, "writes per second during the watch phase")
	fl.DurationVar(&c.WatchTimeout, "watch-timeout", c.WatchTimeout, "how long to wait after the last write for every watcher to catch up")
	fl.StringVar(&c.WatchDecode, "watch-decode", c.WatchDecode, "what watchers decode of each event: metadata (as a metadata informer) or full (the typed Pod)")
	fl.StringVar(&c.Namespace, "namespace", "", "namespace to use (default: a fresh tinykube-bench-<id>)")
	fl.BoolVar(&c.KeepNamespace, "keep-namespace", false, "do not delete the namespace at the end (its pods are still deleted)")
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
	return benchcmd.Run(cmd, func(ctx context.Context) (*bench.Report, error) { return apibench.Run(ctx, f.cfg) })
}
