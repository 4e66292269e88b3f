package cmd

import (
	"github.com/spf13/cobra"

	"github.com/tinykube/tinykube/pkg/cmd/bench"
	"github.com/tinykube/tinykube/pkg/cmd/controllermanager"
	"github.com/tinykube/tinykube/pkg/cmd/images"
	"github.com/tinykube/tinykube/pkg/cmd/node"
	"github.com/tinykube/tinykube/pkg/cmd/scheduler"
	"github.com/tinykube/tinykube/pkg/cmd/server"
	"github.com/tinykube/tinykube/pkg/cmd/token"
	"github.com/tinykube/tinykube/pkg/cmd/version"
)

// NewRootCommand returns the `tinykube` command with every subcommand.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "tinykube",
		Short:         "A small, real Kubernetes: API server, controllers, scheduler and node agent in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		server.NewCommand(),
		server.NewAPIServerCommand(),
		controllermanager.NewCommand(),
		node.NewCommand(),
		scheduler.NewCommand(),
		version.NewCommand(),
		bench.NewCommand(),
		images.NewCommand(),
		token.NewCommand(),
	)
	return root
}
