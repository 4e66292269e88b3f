package bootstrap

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Node identities, as upstream's.
const (
	NodeUserPrefix = "system:node:"
	NodesGroup     = "system:nodes"
)

// ErrTokenRefused is returned when the API server does not accept the
// bootstrap token.
var ErrTokenRefused = errors.New("the API server refused the bootstrap token (unknown, expired, or not allowed to authenticate): make a new one with `tinykube token create`")

// ClientCSR returns a PEM certificate request for node's client
// certificate (CN system:node:<node>, O system:nodes), signed with key.
func ClientCSR(node string, key crypto.Signer) ([]byte, error) {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: NodeUserPrefix + node, Organization: []string{NodesGroup}},
	}, key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}

// RequestCertificate sends a CertificateSigningRequest for request with
// signerName and usages and waits until it is issued (returning the PEM
// certificate and the request's name), denied or failed (an error saying
// so), or ctx ends; the wait is logged to logger (nil: slog.Default()).
func RequestCertificate(ctx context.Context, client kubernetes.Interface, request []byte, signerName string,
	usages []certificatesv1.KeyUsage, expiration *time.Duration, logger *slog.Logger) ([]byte, string, error) {
	csr := &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "csr-"},
		Spec:       certificatesv1.CertificateSigningRequestSpec{Request: request, SignerName: signerName, Usages: usages},
	}
	if expiration != nil {
		s := int32(expiration.Seconds())
		csr.Spec.ExpirationSeconds = &s
	}
	var created *certificatesv1.CertificateSigningRequest
	err := retry(ctx, logger, func() error {
		var err error
		created, err = client.CertificatesV1().CertificateSigningRequests().Create(ctx, csr, metav1.CreateOptions{})
		switch {
		case apierrors.IsUnauthorized(err):
			return errPermanent{ErrTokenRefused}
		case apierrors.IsForbidden(err) || apierrors.IsInvalid(err) || apierrors.IsBadRequest(err):
			return errPermanent{fmt.Errorf("creating the CertificateSigningRequest: %w", err)}
		case err != nil:
			return fmt.Errorf("creating the CertificateSigningRequest: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	name := created.Name
	var cert []byte
	err = retry(ctx, logger, func() error {
		cur, err := client.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) {
				return errPermanent{fmt.Errorf("CertificateSigningRequest %s was deleted before it was issued", name)}
			}
			return err
		}
		for _, c := range cur.Status.Conditions {
			switch c.Type {
			case certificatesv1.CertificateDenied:
				return errPermanent{fmt.Errorf("CertificateSigningRequest %s was denied: %s %s", name, c.Reason, c.Message)}
			case certificatesv1.CertificateFailed:
				return errPermanent{fmt.Errorf("CertificateSigningRequest %s failed: %s %s", name, c.Reason, c.Message)}
			}
		}
		if len(cur.Status.Certificate) == 0 {
			return fmt.Errorf("CertificateSigningRequest %s not issued yet (is the csrapproving/csrsigning controller running?)", name)
		}
		cert = cur.Status.Certificate
		return nil
	})
	return cert, name, err
}
