package server

import (
	"context"
	"net"
	"net/netip"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/tinykube/tinykube/pkg/registry"
)

// ClusterInfo is the kube-public ConfigMap a joining node reads without
// credentials (kubeadm's token discovery): key ClusterInfoKey holds a
// kubeconfig with the cluster's server URL and CA and no user. The node
// trusts its CA only once it matches the --ca-cert-hash it was given
// (pkg/node/bootstrap); anonymous GET of it is let through by
// authn.WithAuthentication. The bootstrapsigner controller adds a
// jws-kubeconfig-<token id> signature per bootstrap token.
const (
	ClusterInfo    = "cluster-info"
	ClusterInfoKey = "kubeconfig"
)

// publishClusterInfo creates or refreshes kube-public/cluster-info.
func (s *Server) publishClusterInfo(ctx context.Context, reg *registry.Registry, caPEM []byte) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters[""] = &clientcmdapi.Cluster{Server: s.clusterInfoURL(), CertificateAuthorityData: caPEM}
	b, err := clientcmd.Write(*kc)
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: ClusterInfo, Namespace: metav1.NamespacePublic},
		Data:       map[string]string{ClusterInfoKey: string(b)},
	}
	return ensureUpToDate(ctx, reg.Store("", "configmaps"), cm, func(cur runtime.Object) {
		c := cur.(*corev1.ConfigMap)
		if c.Data == nil {
			c.Data = map[string]string{}
		}
		// Keep other keys (a bootstrap signer's jws-kubeconfig-*).
		c.Data[ClusterInfoKey] = cm.Data[ClusterInfoKey]
	})
}

// clusterInfoURL is where other hosts reach this server: its URL when it
// listens on loopback only, else the advertised address.
func (s *Server) clusterInfoURL() string {
	if a, err := netip.ParseAddr(s.cfg.BindAddress); err == nil && a.IsLoopback() {
		return s.URL
	}
	a := s.cfg.Advertised()
	if !a.IsValid() {
		return s.URL
	}
	return "https://" + net.JoinHostPort(a.String(), strconv.Itoa(s.listener.Addr().(*net.TCPAddr).Port))
}

// extraServingSANs are the addresses other hosts may reach the server
// on, for its serving certificate: the bind address when it names one
// interface, and the advertised address (clusterInfoURL's) unless the
// server listens on loopback only.
func (s *Server) extraServingSANs() []string {
	var sans []string
	bind, err := netip.ParseAddr(s.cfg.BindAddress)
	if err == nil && bind.IsLoopback() {
		return nil
	}
	if err == nil && !bind.IsUnspecified() {
		sans = append(sans, bind.Unmap().String())
	}
	if a := s.cfg.Advertised(); a.IsValid() && (err != nil || a != bind.Unmap()) {
		sans = append(sans, a.String())
	}
	return sans
}
