package benchcmd

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tinykube/tinykube/pkg/cmd/kubeconfig"
)

// Kubeconfig is the --kubeconfig and --context flags.
type Kubeconfig = kubeconfig.Flags

// Report is what a benchmark returns.
type Report interface {
	WriteJSON(io.Writer) error
	WriteSummary(io.Writer)
}

// Run runs bench under a context that ends on SIGINT or SIGTERM; then
// writes the report it returned, if any (even with an error: a partial
// report), as JSON to cmd's stdout and a summary to its stderr; and
// returns bench's error.
func Run[T any, R interface {
	*T
	Report
}](cmd *cobra.Command, bench func(context.Context) (R, error)) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	report, runErr := bench(ctx)
	if report != nil {
		if err := report.WriteJSON(cmd.OutOrStdout()); err != nil {
			return err
		}
		report.WriteSummary(cmd.ErrOrStderr())
	}
	return runErr
}
