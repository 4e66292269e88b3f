package bootstrap

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/client-go/kubernetes"
)

// Files of a joined node's kubelet serving certificate.
const (
	ServingCertFile = "kubelet-serving.crt"
	ServingKeyFile  = "kubelet-serving.key"
)

// ServingCert returns a serving certificate for the kubelet API of node
// (CN system:node:<node>, O system:nodes, SANs node and ips) signed by
// the cluster CA: the one in dir when it is still valid for a day and
// covers those names, else a new one asked for through a
// kubernetes.io/kubelet-serving CertificateSigningRequest (made as the
// node, so client must carry the node's own identity) and written to dir.
// It waits until the request is issued, denied or failed, or ctx ends.
func ServingCert(ctx context.Context, client kubernetes.Interface, dir, node string, ips []net.IP, logger *slog.Logger) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, ServingCertFile), filepath.Join(dir, ServingKeyFile)
	if pair, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil && covers(pair, node, ips) {
		return pair, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: NodeUserPrefix + node, Organization: []string{NodesGroup}},
		DNSNames: []string{node}, IPAddresses: ips,
	}, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	req := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	certPEM, _, err := RequestCertificate(ctx, client, req, certificatesv1.KubeletServingSignerName,
		[]certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageServerAuth}, nil, logger)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issued serving certificate: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, err
	}
	if err := writeFile(keyPath, keyPEM); err != nil {
		return tls.Certificate{}, err
	}
	return pair, writeFile(certPath, certPEM)
}

// covers reports whether pair's certificate names node and every one of
// ips and is valid for at least another day.
func covers(pair tls.Certificate, node string, ips []net.IP) bool {
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil || time.Until(cert.NotAfter) < 24*time.Hour || !slices.Contains(cert.DNSNames, node) {
		return false
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}
