package bootstrap

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Files a joined node keeps in its data dir.
const (
	KubeconfigFile = "kubelet.kubeconfig"
	CertFile       = "kubelet-client.crt"
	KeyFile        = "kubelet-client.key"
	CAFile         = "ca.crt"
)

// Config configures Ensure.
type Config struct {
	// Dir holds the kubeconfig and its files.
	Dir string
	// Server is the API server URL (--server); Token the bootstrap token;
	// CAHashes the --ca-cert-hash values.
	Server   string
	Token    string
	CAHashes []string
	// NodeName is the node the certificate is for.
	NodeName string
	// Timeout bounds discovery plus the wait for the certificate
	// (default 2 minutes).
	Timeout time.Duration
	Logger  *slog.Logger
}

// KubeconfigPath is where Ensure writes the node's kubeconfig.
func (c Config) KubeconfigPath() string { return filepath.Join(c.Dir, KubeconfigFile) }

// Ensure returns the REST config of the node's own identity: from
// Dir/kubelet.kubeconfig when its certificate is for this node and still
// valid, else by TLS bootstrapping with the token (see the package
// comment), after which that kubeconfig exists.
func Ensure(ctx context.Context, c Config) (*rest.Config, error) {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Minute
	}
	if rc, err := reuse(c); err == nil {
		c.Logger.Info("node: using its existing credentials", "kubeconfig", c.KubeconfigPath())
		return rc, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		c.Logger.Info("node: existing credentials unusable; bootstrapping again", "kubeconfig", c.KubeconfigPath(), "reason", err)
	}
	if c.Token == "" || c.Server == "" {
		return nil, fmt.Errorf("node has no credentials in %s: join with --server, --token and --ca-cert-hash", c.KubeconfigPath())
	}
	ctx, cancel := context.WithTimeoutCause(ctx, c.Timeout, fmt.Errorf("joining took longer than %s", c.Timeout))
	defer cancel()
	caPEM, err := Discover(ctx, c.Server, c.Token, c.CAHashes, c.Logger)
	if err != nil {
		return nil, err
	}
	c.Logger.Info("node: cluster CA verified", "server", c.Server)
	bootstrapConfig := &rest.Config{Host: c.Server, BearerToken: c.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: caPEM}, Timeout: 30 * time.Second}
	client, err := kubernetes.NewForConfig(bootstrapConfig)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	req, err := ClientCSR(c.NodeName, key)
	if err != nil {
		return nil, err
	}
	certPEM, csrName, err := RequestCertificate(ctx, client, req, certificatesv1.KubeAPIServerClientKubeletSignerName,
		[]certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}, nil, c.Logger)
	if err != nil {
		return nil, err
	}
	c.Logger.Info("node: client certificate issued", "csr", csrName, "user", NodeUserPrefix+c.NodeName)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := write(c, caPEM, certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})); err != nil {
		return nil, err
	}
	return reuse(c)
}

// write stores the key, certificate, CA and a kubeconfig naming them
// (files 0600, written to temporary names and renamed, kubeconfig last).
func write(c Config, caPEM, certPEM, keyPEM []byte) error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return err
	}
	for name, data := range map[string][]byte{KeyFile: keyPEM, CertFile: certPEM, CAFile: caPEM} {
		if err := writeFile(filepath.Join(c.Dir, name), data); err != nil {
			return err
		}
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["default"] = &clientcmdapi.Cluster{Server: c.Server, CertificateAuthority: filepath.Join(c.Dir, CAFile)}
	kc.AuthInfos["default"] = &clientcmdapi.AuthInfo{ClientCertificate: filepath.Join(c.Dir, CertFile), ClientKey: filepath.Join(c.Dir, KeyFile)}
	kc.Contexts["default"] = &clientcmdapi.Context{Cluster: "default", AuthInfo: "default"}
	kc.CurrentContext = "default"
	b, err := clientcmd.Write(*kc)
	if err != nil {
		return err
	}
	return writeFile(c.KubeconfigPath(), b)
}

func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// reuse loads the kubeconfig and checks that its certificate is this
// node's, issued by its CA and valid for at least another minute.
func reuse(c Config) (*rest.Config, error) {
	if _, err := os.Stat(c.KubeconfigPath()); err != nil {
		return nil, err
	}
	rc, err := clientcmd.BuildConfigFromFlags("", c.KubeconfigPath())
	if err != nil {
		return nil, err
	}
	pair, err := tls.LoadX509KeyPair(rc.CertFile, rc.KeyFile)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	if want := NodeUserPrefix + c.NodeName; cert.Subject.CommonName != want {
		return nil, fmt.Errorf("certificate is for %q, not %q", cert.Subject.CommonName, want)
	}
	if time.Until(cert.NotAfter) < time.Minute {
		return nil, fmt.Errorf("certificate expired (or expires within a minute) at %s", cert.NotAfter)
	}
	caPEM, err := os.ReadFile(rc.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s: no CA certificate", rc.CAFile)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return nil, err
	}
	if c.Server != "" && rc.Host != c.Server {
		c.Logger.Info("node: --server differs from the kubeconfig's; using --server", "kubeconfig", rc.Host, "server", c.Server)
		rc.Host = c.Server
	}
	return rc, nil
}
