package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"

	"github.com/tinykube/tinykube/pkg/node"
	"github.com/tinykube/tinykube/pkg/node/kubeletserver"
	"github.com/tinykube/tinykube/pkg/node/stats"
)

// KubeletAPI is a real node's kubelet API (pkg/node/kubeletserver),
// listening: exec, attach, port-forward and logs for the API server.
type KubeletAPI struct {
	srv      *kubeletserver.Server
	listener net.Listener
	agent    atomic.Pointer[node.Agent]
	name     string
}

// ListenKubeletAPI listens for the kubelet API of the real node in
// cfg.Real (set by RealConfig) and records the port it got in
// cfg.Real.KubeletPort, which the node reports in its status. The API
// server's client certificate is verified with --client-ca-file, else
// the CA of the node's kubeconfig.
func ListenKubeletAPI(f RealFlags, cfg *node.Config, rt *RealRuntime) (*KubeletAPI, error) {
	if cfg.Real == nil || cfg.RESTConfig == nil {
		return nil, errors.New("kubelet API: a real node and its REST config are required")
	}
	cas, err := clientCAs(f, cfg)
	if err != nil {
		return nil, err
	}
	ips := []net.IP{net.IPv4(127, 0, 0, 1)}
	if cfg.Real.IP.IsValid() {
		ips = append(ips, net.IP(cfg.Real.IP.AsSlice()))
	}
	var cert tls.Certificate
	switch {
	case f.TLSCertFile != "" || f.TLSKeyFile != "":
		cert, err = tls.LoadX509KeyPair(f.TLSCertFile, f.TLSKeyFile)
	case f.IssueServingCert != nil:
		cert, err = f.IssueServingCert(cfg.Real.Name, ips)
	default:
		cert, err = kubeletserver.SelfSignedCert(cfg.Real.Name, ips)
	}
	if err != nil {
		return nil, fmt.Errorf("kubelet API serving certificate: %w", err)
	}
	k := &KubeletAPI{name: cfg.Real.Name}
	sp, err := stats.New(stats.Config{NodeName: cfg.Real.Name, Runtime: rt.CRI, Pods: k.pods, DataDir: cfg.Real.DataDir,
		ImageFsDir: cfg.Real.ImageFsDir, CgroupRoot: cfg.Real.CgroupRoot})
	if err != nil {
		return nil, err
	}
	k.srv, err = kubeletserver.New(kubeletserver.Config{Runtime: rt.CRI, Pods: k.pods, Cert: cert, ClientCAs: cas, Stats: sp, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	k.listener, err = net.Listen("tcp", net.JoinHostPort(f.KubeletAddress, strconv.Itoa(f.KubeletPort)))
	if err != nil {
		return nil, fmt.Errorf("kubelet API: %w", err)
	}
	cfg.Real.KubeletPort = int32(k.listener.Addr().(*net.TCPAddr).Port)
	return k, nil
}

func (k *KubeletAPI) pods() []*corev1.Pod {
	if a := k.agent.Load(); a != nil {
		return a.PodsOn(k.name)
	}
	return nil
}

// Serve serves the API, with agent's pods, until ctx ends.
func (k *KubeletAPI) Serve(ctx context.Context, agent *node.Agent) error {
	k.agent.Store(agent)
	return k.srv.Serve(ctx, k.listener)
}

// Close stops listening (for a KubeletAPI never served).
func (k *KubeletAPI) Close() error { return k.listener.Close() }

func clientCAs(f RealFlags, cfg *node.Config) (*x509.CertPool, error) {
	pemData := cfg.RESTConfig.TLSClientConfig.CAData
	source := "the kubeconfig's certificate-authority"
	if f.ClientCAFile != "" {
		source = "--client-ca-file"
		b, err := os.ReadFile(f.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("--client-ca-file: %w", err)
		}
		pemData = b
	} else if len(pemData) == 0 && cfg.RESTConfig.TLSClientConfig.CAFile != "" {
		b, err := os.ReadFile(cfg.RESTConfig.TLSClientConfig.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig certificate-authority: %w", err)
		}
		pemData = b
	}
	pool := x509.NewCertPool()
	if len(pemData) == 0 || !pool.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("kubelet API: no client CA to verify the API server with (from %s); set --client-ca-file", source)
	}
	return pool, nil
}
