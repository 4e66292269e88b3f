package version

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tinykube/tinykube/pkg/version"
)

// Line is the one line `tinykube version` and `tinykube --version`
// print: "tinykube v… (Kubernetes API 1.37, go1.…)".
func Line() string {
	info := version.Get()
	return fmt.Sprintf("tinykube %s (Kubernetes API %s.%s, %s)", info.GitVersion, info.Major, info.Minor, info.GoVersion)
}

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
			fmt.Fprintln(cmd.OutOrStdout(), Line())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print version.Info as JSON")
	return cmd
}
