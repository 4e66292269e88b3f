package bench

import (
	"github.com/spf13/cobra"

	"github.com/tinykube/tinykube/pkg/cmd/bench/api"
	"github.com/tinykube/tinykube/pkg/cmd/bench/density"
	"github.com/tinykube/tinykube/pkg/cmd/bench/dns"
	"github.com/tinykube/tinykube/pkg/cmd/bench/etcd"
	"github.com/tinykube/tinykube/pkg/cmd/bench/proxy"
)

// NewCommand returns `tinykube bench` with its subcommands.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load generators for any Kubernetes API server (and its etcd); results as JSON",
		Long: `Load generators that speak only the Kubernetes API (client-go), so the same
run can be pointed at tinykube and at upstream kube-apiserver. Each prints one
JSON report on stdout and progress plus a short summary on stderr.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(
		api.NewCommand(),
		density.NewCommand(),
		dns.NewCommand(),
		etcd.NewCommand(),
		proxy.NewCommand(),
	)
	return cmd
}
