package etcd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tinykube/tinykube/pkg/bench"
	"github.com/tinykube/tinykube/pkg/bench/etcdbench"
	"github.com/tinykube/tinykube/pkg/cmd/bench/benchcmd"
)

type flags struct {
	cfg etcdbench.Config
}

// NewCommand returns `tinykube bench etcd`.
func NewCommand() *cobra.Command {
	f := &flags{cfg: etcdbench.DefaultConfig()}
	cmd := &cobra.Command{
		Use:   "etcd",
		Short: "Benchmark raw etcd with the pod objects and transactions an API server would use",
		Long: `Writes the pods of ` + "`tinykube bench api`" + `, protobuf-encoded as an API server stores
them, directly into etcd: create (put if absent), get, update (compare-and-swap
on the mod revision) and delete at each --concurrency level, then full range
reads of --list-objects keys. Keys live under --prefix (never /registry/) and
are deleted at the end. The JSON report goes to stdout.`,
		Example: `  tinykube bench etcd --endpoints http://127.0.0.1:2379`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return f.runE(cmd) },
	}
	fl := cmd.Flags()
	c := &f.cfg
	fl.StringSliceVar(&c.Endpoints, "endpoints", c.Endpoints, "etcd client URLs")
	fl.StringVar(&c.Prefix, "prefix", c.Prefix, "key prefix for everything the benchmark writes (keys are <prefix>registry/pods/<ns>/<name>)")
	fl.StringSliceVar(&c.Phases, "phases", c.Phases, "phases to run, in order: crud, list")
	fl.IntSliceVar(&c.Concurrency, "concurrency", c.Concurrency, "concurrency levels (workers)")
	fl.IntVar(&c.Count, "count", c.Count, "operations per crud phase and concurrency level (ignored when --duration is set)")
	fl.DurationVar(&c.Duration, "duration", c.Duration, "run each crud phase for this long instead of --count operations")
	fl.StringVar(&c.ClientMode, "client-mode", c.ClientMode, `"shared": one etcd client (one gRPC connection) for all workers, as an API server has; "per-worker": one per worker`)
	fl.DurationVar(&c.DialTimeout, "dial-timeout", c.DialTimeout, "etcd connection timeout")
	fl.IntVar(&c.ListObjects, "list-objects", c.ListObjects, "keys to write for the list phase")
	fl.IntVar(&c.ListIterations, "list-iterations", c.ListIterations, "range reads to time per consistency mode")
	return cmd
}

func (f *flags) runE(cmd *cobra.Command) error {
	f.cfg.Log = cmd.ErrOrStderr()
	return benchcmd.Run(cmd, func(ctx context.Context) (*bench.Report, error) { return etcdbench.Run(ctx, f.cfg) })
}
