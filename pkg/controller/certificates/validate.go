package certificates

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
)

// NodeUserPrefix + node name is a node's user; NodesGroup its group.
const (
	NodeUserPrefix = "system:node:"
	NodesGroup     = "system:nodes"
)

// The usages upstream requires of kubelet certificates: either set (the
// one without key encipherment is for non-RSA keys).
var (
	kubeletClientUsages = [][]certificatesv1.KeyUsage{
		{certificatesv1.UsageClientAuth, certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment},
		{certificatesv1.UsageClientAuth, certificatesv1.UsageDigitalSignature},
	}
	kubeletServingUsages = [][]certificatesv1.KeyUsage{
		{certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment, certificatesv1.UsageServerAuth},
		{certificatesv1.UsageDigitalSignature, certificatesv1.UsageServerAuth},
	}
)

var (
	errOrgNotNodes  = errors.New("subject organization is not system:nodes")
	errCNNotNode    = errors.New("subject common name does not begin with system:node:")
	errDNSSAN       = errors.New("DNS subjectAltNames are not allowed")
	errEmailSAN     = errors.New("email subjectAltNames are not allowed")
	errIPSAN        = errors.New("IP subjectAltNames are not allowed")
	errURISAN       = errors.New("URI subjectAltNames are not allowed")
	errDNSOrIPSANRq = errors.New("DNS or IP subjectAltName is required")
)

// sameUsages reports whether got is one of the sets in want, in any order
// and ignoring repeats.
func sameUsages(got []certificatesv1.KeyUsage, want [][]certificatesv1.KeyUsage) bool {
	g := slices.Compact(slices.Sorted(slices.Values(got)))
	for _, w := range want {
		if slices.Equal(g, slices.Sorted(slices.Values(w))) {
			return true
		}
	}
	return false
}

func usagesError(want []certificatesv1.KeyUsage) error {
	names := make([]string, len(want))
	for i, u := range slices.Sorted(slices.Values(want)) {
		names[i] = string(u)
	}
	return fmt.Errorf("usages did not match [%s]", strings.Join(names, " "))
}

// ValidateKubeletClient is upstream's check of a request for signer
// kubernetes.io/kube-apiserver-client-kubelet: O=[system:nodes],
// CN=system:node:*, no SANs, client-auth usages.
func ValidateKubeletClient(req *x509.CertificateRequest, usages []certificatesv1.KeyUsage) error {
	if !slices.Equal(req.Subject.Organization, []string{NodesGroup}) {
		return errOrgNotNodes
	}
	switch {
	case len(req.DNSNames) > 0:
		return errDNSSAN
	case len(req.EmailAddresses) > 0:
		return errEmailSAN
	case len(req.IPAddresses) > 0:
		return errIPSAN
	case len(req.URIs) > 0:
		return errURISAN
	}
	if !strings.HasPrefix(req.Subject.CommonName, NodeUserPrefix) {
		return errCNNotNode
	}
	if !sameUsages(usages, kubeletClientUsages) {
		return usagesError(kubeletClientUsages[0])
	}
	return nil
}

// ValidateKubeletServing is upstream's check of a request for signer
// kubernetes.io/kubelet-serving: O=[system:nodes], CN=system:node:*, at
// least one DNS or IP SAN and no others, server-auth usages.
func ValidateKubeletServing(req *x509.CertificateRequest, usages []certificatesv1.KeyUsage) error {
	if !slices.Equal(req.Subject.Organization, []string{NodesGroup}) {
		return errOrgNotNodes
	}
	if len(req.DNSNames) == 0 && len(req.IPAddresses) == 0 {
		return errDNSOrIPSANRq
	}
	if len(req.EmailAddresses) > 0 {
		return errEmailSAN
	}
	if len(req.URIs) > 0 {
		return errURISAN
	}
	if !sameUsages(usages, kubeletServingUsages) {
		return usagesError(kubeletServingUsages[0])
	}
	if !strings.HasPrefix(req.Subject.CommonName, NodeUserPrefix) {
		return errCNNotNode
	}
	return nil
}

// ValidateAPIServerClient is upstream's check of a request for signer
// kubernetes.io/kube-apiserver-client: client auth required, only digital
// signature and key encipherment besides.
func ValidateAPIServerClient(_ *x509.CertificateRequest, usages []certificatesv1.KeyUsage) error {
	hasClientAuth := false
	for _, u := range usages {
		switch u {
		case certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment:
		case certificatesv1.UsageClientAuth:
			hasClientAuth = true
		default:
			return fmt.Errorf("invalid usage for client certificate: %s", u)
		}
	}
	if !hasClientAuth {
		return fmt.Errorf("missing required usage for client certificate: %s", certificatesv1.UsageClientAuth)
	}
	return nil
}
