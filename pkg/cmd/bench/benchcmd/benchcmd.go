package benchcmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Kubeconfig is the --kubeconfig and --context flags.
type Kubeconfig struct {
	Path    string
	Context string
}

// AddFlags registers the flags on fs.
func (k *Kubeconfig) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&k.Path, "kubeconfig", "", "kubeconfig of the API server to load (default: $KUBECONFIG or ~/.kube/config)")
	fs.StringVar(&k.Context, "context", "", "kubeconfig context to use (default: current context)")
}

// RESTConfig loads the chosen kubeconfig and context.
func (k *Kubeconfig) RESTConfig() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = k.Path
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: k.Context})
	rc, err := loader.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig: %w", err)
	}
	return rc, nil
}

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
