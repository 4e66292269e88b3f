package kubeconfig

import (
	"fmt"

	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Help is the --kubeconfig help text.
const Help = "kubeconfig of the API server (default: $KUBECONFIG, as kubectl reads it, else ~/.kube/config; tinykube server writes DATA-DIR/admin.kubeconfig)"

// Flags are --kubeconfig and --context.
type Flags struct {
	Path    string
	Context string
}

// AddFlags registers the flags on fs.
func (k *Flags) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&k.Path, "kubeconfig", k.Path, Help)
	fs.StringVar(&k.Context, "context", k.Context, "kubeconfig context to use (default: the current context)")
}

// RESTConfig loads the chosen kubeconfig and context.
func (k *Flags) RESTConfig() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = k.Path
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: k.Context})
	rc, err := loader.ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, fmt.Errorf("no kubeconfig: pass --kubeconfig or set KUBECONFIG (tinykube server writes DATA-DIR/admin.kubeconfig)")
		}
		return nil, fmt.Errorf("loading kubeconfig: %w", err)
	}
	return rc, nil
}
