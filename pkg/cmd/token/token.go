package token

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tinykube/tinykube/pkg/auth/bootstraptoken"
	"github.com/tinykube/tinykube/pkg/node/bootstrap"
)

// CreateFlags are `token create`'s.
type CreateFlags struct {
	TTL              time.Duration
	Description      string
	Usages           []string
	Groups           []string
	PrintJoinCommand bool
}

// NewCommand returns `tinykube token` and its children.
func NewCommand() *cobra.Command {
	kubeconfig := os.Getenv("KUBECONFIG")
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage bootstrap tokens, with which nodes on other hosts join (tinykube node --token)",
		Args:  cobra.NoArgs,
	}
	cmd.PersistentFlags().StringVar(&kubeconfig, "kubeconfig", kubeconfig, "admin kubeconfig (tinykube server writes DATA-DIR/admin.kubeconfig); default $KUBECONFIG")
	client := func() (kubernetes.Interface, *rest.Config, error) {
		if kubeconfig == "" {
			return nil, nil, errors.New("no kubeconfig: set --kubeconfig or KUBECONFIG (tinykube server writes DATA-DIR/admin.kubeconfig)")
		}
		rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return nil, nil, err
		}
		rc.Timeout = 30 * time.Second
		c, err := kubernetes.NewForConfig(rc)
		return c, rc, err
	}
	cf := CreateFlags{TTL: 24 * time.Hour, Usages: []string{bootstraptoken.UsageAuthentication, bootstraptoken.UsageSigning},
		Groups: []string{bootstraptoken.GroupNodeBootstrappers}}
	create := &cobra.Command{
		Use:   "create [TOKEN]",
		Short: "Create a bootstrap token (random unless TOKEN is given) and print it",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, rc, err := client()
			if err != nil {
				return err
			}
			token := ""
			if len(args) == 1 {
				token = args[0]
			}
			return Create(cmd.Context(), c, rc, token, cf, cmd.OutOrStdout())
		},
	}
	create.Flags().DurationVar(&cf.TTL, "ttl", cf.TTL, "how long the token is valid (0: forever)")
	create.Flags().StringVar(&cf.Description, "description", "", "a human-readable description of the token")
	create.Flags().StringSliceVar(&cf.Usages, "usages", cf.Usages, "what the token may be used for: authentication, signing")
	create.Flags().StringSliceVar(&cf.Groups, "groups", cf.Groups, "extra groups the token's user is in (each under system:bootstrappers:)")
	create.Flags().BoolVar(&cf.PrintJoinCommand, "print-join-command", false, "print the whole `tinykube node` command that joins with the token")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the bootstrap tokens",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := client()
			if err != nil {
				return err
			}
			return List(cmd.Context(), c, time.Now(), cmd.OutOrStdout())
		},
	}
	cmd.AddCommand(create, list)
	return cmd
}

// Create stores a bootstrap token (a new random one when token is "")
// and prints it, or the join command with it.
func Create(ctx context.Context, c kubernetes.Interface, rc *rest.Config, token string, f CreateFlags, out io.Writer) error {
	for _, u := range f.Usages {
		if u != bootstraptoken.UsageAuthentication && u != bootstraptoken.UsageSigning {
			return fmt.Errorf("--usages: unknown usage %q (want authentication, signing)", u)
		}
	}
	if f.TTL < 0 {
		return fmt.Errorf("--ttl %s: must not be negative", f.TTL)
	}
	var err error
	if token == "" {
		if token, err = bootstraptoken.Generate(); err != nil {
			return err
		}
	}
	secret, err := bootstraptoken.NewSecret(token, bootstraptoken.Options{TTL: f.TTL, Description: f.Description,
		Usages: f.Usages, ExtraGroups: f.Groups}, time.Now())
	if err != nil {
		return err
	}
	var join string
	if f.PrintJoinCommand {
		// Before creating: a cluster we cannot describe gets no token.
		if join, err = joinCommand(ctx, c, rc, token); err != nil {
			return err
		}
	}
	if _, err := c.CoreV1().Secrets(bootstraptoken.Namespace).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("storing the token: %w", err)
	}
	if join != "" {
		_, err = fmt.Fprintln(out, join)
	} else {
		_, err = fmt.Fprintln(out, token)
	}
	return err
}

// joinCommand is the `tinykube node` line that joins with token: the
// server and CA from cluster-info (where other hosts reach the server),
// else from the admin kubeconfig.
func joinCommand(ctx context.Context, c kubernetes.Interface, rc *rest.Config, token string) (string, error) {
	server, caPEM := rc.Host, rc.TLSClientConfig.CAData
	if len(caPEM) == 0 && rc.TLSClientConfig.CAFile != "" {
		b, err := os.ReadFile(rc.TLSClientConfig.CAFile)
		if err != nil {
			return "", err
		}
		caPEM = b
	}
	if cm, err := c.CoreV1().ConfigMaps(metav1.NamespacePublic).Get(ctx, "cluster-info", metav1.GetOptions{}); err == nil {
		if kc, err := clientcmd.Load([]byte(cm.Data[bootstrap.ClusterInfoKey])); err == nil {
			for _, cl := range kc.Clusters {
				server, caPEM = cl.Server, cl.CertificateAuthorityData
			}
		}
	}
	block, _ := pem.Decode(caPEM)
	if block == nil {
		return "", errors.New("--print-join-command: the cluster's CA certificate is unknown (no cluster-info, no CA in the kubeconfig)")
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", fmt.Errorf("--print-join-command: cluster CA: %w", err)
	}
	return fmt.Sprintf("tinykube node --runtime containerd --server %s --token %s --ca-cert-hash %s", server, token, bootstrap.CAHash(ca)), nil
}

// List prints the bootstrap tokens as `kubeadm token list` does.
func List(ctx context.Context, c kubernetes.Interface, now time.Time, out io.Writer) error {
	secrets, err := c.CoreV1().Secrets(bootstraptoken.Namespace).List(ctx, metav1.ListOptions{FieldSelector: "type=" + string(bootstraptoken.SecretType)})
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "TOKEN\tTTL\tEXPIRES\tUSAGES\tDESCRIPTION\tEXTRA GROUPS")
	for i := range secrets.Items {
		s := &secrets.Items[i]
		t, err := bootstraptoken.FromSecret(s)
		if err != nil {
			fmt.Fprintf(os.Stderr, "skipping %s: %v\n", s.Name, err)
			continue
		}
		ttl, expires := "<forever>", "<never>"
		if !t.Expires.IsZero() {
			// kubeadm's: 23h for a fresh 24h token, 9m, 59s; <invalid> once expired.
			expires = t.Expires.Format(time.RFC3339)
			ttl = duration.ShortHumanDuration(t.Expires.Sub(now))
			if t.Expired(now) {
				ttl = "<invalid>"
			}
		}
		usages := slices.Sorted(slices.Values(t.Usages))
		desc := t.Description
		if desc == "" {
			desc = "<none>"
		}
		fmt.Fprintf(w, "%s.%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, s.Data[bootstraptoken.KeyTokenSecret], ttl, expires,
			strings.Join(usages, ","), desc, strings.Join(t.ExtraGroups, ","))
	}
	return w.Flush()
}
