package pki

import (
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ContextName is the cluster, context and default user entry name in the
// kubeconfigs this package writes.
const ContextName = "tinykube"

// Kubeconfig returns a kubeconfig that reaches serverURL as the admin
// certificate's identity, with every certificate embedded. user names the
// user entry in the file (default "tinykube-admin"); it does not change who
// the server thinks the client is — the certificate decides that.
func (b *Bundle) Kubeconfig(serverURL, user string) *clientcmdapi.Config {
	if user == "" {
		user = AdminUser
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[ContextName] = &clientcmdapi.Cluster{
		Server:                   serverURL,
		CertificateAuthorityData: b.CACertPEM,
	}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{
		ClientCertificateData: b.AdminCertPEM,
		ClientKeyData:         b.AdminKeyPEM,
	}
	cfg.Contexts[ContextName] = &clientcmdapi.Context{
		Cluster:  ContextName,
		AuthInfo: user,
	}
	cfg.CurrentContext = ContextName
	return cfg
}

// WriteKubeconfig writes Kubeconfig(serverURL, user) to path with mode 0600,
// creating the parent directory if needed.
func (b *Bundle) WriteKubeconfig(path, serverURL, user string) error {
	return clientcmd.WriteToFile(*b.Kubeconfig(serverURL, user), path)
}
