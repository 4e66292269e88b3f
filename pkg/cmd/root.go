package cmd

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/tinykube/tinykube/pkg/cmd/bench"
	"github.com/tinykube/tinykube/pkg/cmd/controllermanager"
	"github.com/tinykube/tinykube/pkg/cmd/images"
	"github.com/tinykube/tinykube/pkg/cmd/node"
	"github.com/tinykube/tinykube/pkg/cmd/proxy"
	"github.com/tinykube/tinykube/pkg/cmd/scheduler"
	"github.com/tinykube/tinykube/pkg/cmd/server"
	"github.com/tinykube/tinykube/pkg/cmd/token"
	"github.com/tinykube/tinykube/pkg/cmd/version"
	"github.com/tinykube/tinykube/pkg/logs"
)

// NewRootCommand returns the `tinykube` command with every subcommand.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "tinykube",
		Short:         "A small, real Kubernetes: API server, controllers, scheduler and node agent in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
		// --version, as `tinykube version`.
		Version: version.Line(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	// One logging system for every command (pkg/logs): -v and
	// --logging-format, set up before any command runs.
	logOpts := logs.NewOptions()
	logOpts.AddFlags(root.PersistentFlags())
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		_, err := logOpts.Setup(os.Stderr)
		return err
	}
	root.AddCommand(
		server.NewCommand(),
		server.NewAPIServerCommand(),
		controllermanager.NewCommand(),
		node.NewCommand(),
		proxy.NewCommand(),
		scheduler.NewCommand(),
		version.NewCommand(),
		bench.NewCommand(),
		images.NewCommand(),
		token.NewCommand(),
	)
	return root
}
