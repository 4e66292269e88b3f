package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/pkg/node/bootstrap"
)

// JoinFlags make a real node join a cluster from another host with a
// bootstrap token (pkg/node/bootstrap), as `kubeadm join` does:
// `tinykube node --runtime containerd --server https://HOST:6443 --token
// T --ca-cert-hash sha256:…` (what `tinykube token create
// --print-join-command` prints; --runtime containerd is implied). The node's own kubeconfig is then
// DATA-DIR/kubelet.kubeconfig, used on later starts without a token.
type JoinFlags struct {
	Server   string
	Token    string
	CAHashes []string
	Timeout  time.Duration
}

func (j *JoinFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&j.Server, "server", j.Server, "join: the API server's URL (https://HOST:PORT), reached with --token")
	fs.StringVar(&j.Token, "token", j.Token, "join: a bootstrap token (tinykube token create) to get the node's own client certificate with; not needed once DATA-DIR/kubelet.kubeconfig exists")
	fs.StringSliceVar(&j.CAHashes, "ca-cert-hash", j.CAHashes, "join: sha256:<hex> of the cluster CA's public key (SubjectPublicKeyInfo); the node trusts the server only if its CA matches")
	fs.DurationVar(&j.Timeout, "join-timeout", j.Timeout, "join: give up discovery and the certificate request after this long")
}

// joining reports whether the node gets its credentials by joining
// rather than from --kubeconfig: join flags are given, or no kubeconfig
// is (no --kubeconfig, no $KUBECONFIG) but the data dir has a joined node's. Only a real node joins, so
// unless --runtime was given (runtimeSet) joining picks containerd.
func (f *Flags) joining(runtimeSet bool) bool {
	join := f.Join.Server != "" || f.Join.Token != "" || len(f.Join.CAHashes) > 0
	if !join && f.Kubeconfig.Path == "" && os.Getenv("KUBECONFIG") == "" && (f.Real.Runtime == "containerd" || !runtimeSet) {
		_, err := os.Stat(filepath.Join(f.Real.DataDir, bootstrap.KubeconfigFile))
		join = err == nil
	}
	if join && !runtimeSet {
		f.Real.Runtime = "containerd"
	}
	return join
}

// joinConfig returns the joined node's REST config, bootstrapping it
// first if needed.
func (f *Flags) joinConfig(ctx context.Context, logger *slog.Logger) (*rest.Config, error) {
	if f.Real.Runtime != "containerd" {
		return nil, errors.New("--server/--token join one real node: add --runtime containerd")
	}
	name, err := nodeName(f.Real)
	if err != nil {
		return nil, err
	}
	f.Real.NodeName = name
	if f.Real.TLSCertFile == "" {
		f.Real.RequestServingCert = true
	}
	if err := os.MkdirAll(f.Real.DataDir, 0o700); err != nil {
		return nil, err
	}
	return bootstrap.Ensure(ctx, bootstrap.Config{Dir: f.Real.DataDir, Server: f.Join.Server, Token: f.Join.Token,
		CAHashes: f.Join.CAHashes, NodeName: name, Timeout: f.Join.Timeout, Logger: logger})
}

// nodeName is --node-name, else the host name, lower-cased.
func nodeName(f RealFlags) (string, error) {
	if f.NodeName != "" {
		return f.NodeName, nil
	}
	h, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("node name: %w (set --node-name)", err)
	}
	return strings.ToLower(h), nil
}

// requestServingCert gets the joined node a kubelet serving certificate
// from the cluster CA once its Node reports its addresses (the approver
// approves only the node's own name and addresses), and swaps it in for
// the self-signed one. It gives up, keeping the self-signed certificate,
// when that takes longer than timeout; logs and exec work either way.
func requestServingCert(ctx context.Context, rc *rest.Config, name, dir string, api *KubeletAPI, timeout time.Duration, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		logger.Warn("node: serving certificate", "err", err)
		return
	}
	var ips []net.IP
	err = wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		n, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, a := range n.Status.Addresses {
			if ip := net.ParseIP(a.Address); ip != nil && (a.Type == corev1.NodeInternalIP || a.Type == corev1.NodeExternalIP) {
				ips = append(ips, ip)
			}
		}
		return len(ips) > 0, nil
	})
	if err != nil {
		logger.Warn("node: no serving certificate from the cluster CA: the Node reports no address; keeping the self-signed one", "node", name)
		return
	}
	cert, err := bootstrap.ServingCert(ctx, client, dir, name, ips, logger)
	if err != nil {
		logger.Warn("node: no serving certificate from the cluster CA; keeping the self-signed one", "node", name, "err", err)
		return
	}
	api.srv.SetCert(cert)
	logger.Info("node: kubelet API serves a certificate from the cluster CA", "node", name, "ips", ips)
}
