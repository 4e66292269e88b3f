package version

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tinykube/tinykube/pkg/version"
)

// NewCommand returns `tinykube version`.
func NewCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the tinykube version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := version.Get()
			if asJSON {
				b, err := json.MarshalIndent(info, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "tinykube %s (Kubernetes API %s.%s, %s)\n", info.GitVersion, info.Major, info.Minor, info.GoVersion)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print version.Info as JSON")
	return cmd
}
