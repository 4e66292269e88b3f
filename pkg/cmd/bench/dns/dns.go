package dns

import (
	"context"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/pkg/bench"
	"github.com/tinykube/tinykube/pkg/bench/dnsbench"
	"github.com/tinykube/tinykube/pkg/cmd/bench/benchcmd"
)

type flags struct {
	cfg        dnsbench.Config
	kubeconfig benchcmd.Kubeconfig
	setup      bool
}

// NewCommand returns `tinykube bench dns`.
func NewCommand() *cobra.Command {
	f := &flags{cfg: dnsbench.DefaultConfig()}
	cmd := &cobra.Command{
		Use:   "dns",
		Short: "Benchmark a cluster DNS server (tinykube's, CoreDNS) with a mix of cluster names",
		Long: `Closed-loop workers, each with its own UDP socket, send a mix of cluster
names to --server: A for ClusterIP and headless Services, AAAA (NODATA), SRV,
PTR of ClusterIPs, and the NXDOMAIN search-path misses of ndots:5. With
--setup the Services and EndpointSlices are created first (through
--kubeconfig); the ClusterIPs for PTR are read from there. Every answer's
rcode is checked. The JSON report goes to stdout.`,
		Example: `  tinykube bench dns --kubeconfig admin.kubeconfig --setup --server 192.0.2.2:10053 --target tinykube`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return f.runE(cmd) },
	}
	fl := cmd.Flags()
	c := &f.cfg
	f.kubeconfig.AddFlags(fl)
	fl.BoolVar(&f.setup, "setup", false, "create the namespace, Services and EndpointSlices first")
	fl.StringVar(&c.Server, "server", c.Server, "DNS server, host:port")
	fl.StringVar(&c.Target, "target", c.Target, "name of the server in the report")
	fl.StringVar(&c.Namespace, "namespace", c.Namespace, "namespace of the Services")
	fl.IntVar(&c.Services, "services", c.Services, "ClusterIP Services (svc-N)")
	fl.IntVar(&c.Headless, "headless", c.Headless, "headless Services (hl-N, 3 endpoints each)")
	fl.StringVar(&c.Domain, "cluster-domain", c.Domain, "cluster domain")
	fl.IntSliceVar(&c.Concurrency, "concurrency", c.Concurrency, "concurrency levels (workers)")
	fl.DurationVar(&c.Duration, "duration", c.Duration, "time per concurrency level")
	return cmd
}

func (f *flags) runE(cmd *cobra.Command) error {
	f.cfg.Log = cmd.ErrOrStderr()
	return benchcmd.Run(cmd, func(ctx context.Context) (*bench.Report, error) {
		rc, err := f.kubeconfig.RESTConfig()
		if err != nil {
			return nil, err
		}
		client, err := kubernetes.NewForConfig(rc)
		if err != nil {
			return nil, err
		}
		if f.setup {
			if err := dnsbench.Setup(ctx, client, f.cfg); err != nil {
				return nil, err
			}
		}
		return dnsbench.Run(ctx, client, f.cfg)
	})
}
