package certificates

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
)

// ParseCSR decodes a CSR's spec.request (one PEM "CERTIFICATE REQUEST"
// block) and checks its signature, so the requester holds the key.
func ParseCSR(pemBytes []byte) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, errors.New("PEM block type must be CERTIFICATE REQUEST")
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, err
	}
	if err := req.CheckSignature(); err != nil {
		return nil, fmt.Errorf("certificate request signature: %w", err)
	}
	return req, nil
}

// HasTrueCondition reports whether csr has condition t with status True.
func HasTrueCondition(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) bool {
	for _, c := range csr.Status.Conditions {
		if c.Type == t && (c.Status == "" || c.Status == corev1.ConditionTrue) {
			return true
		}
	}
	return false
}

// IsApproved reports whether csr is approved and not denied.
func IsApproved(csr *certificatesv1.CertificateSigningRequest) bool {
	return HasTrueCondition(csr, certificatesv1.CertificateApproved) && !HasTrueCondition(csr, certificatesv1.CertificateDenied)
}

// IsDecided reports whether csr was approved or denied already.
func IsDecided(csr *certificatesv1.CertificateSigningRequest) bool {
	return HasTrueCondition(csr, certificatesv1.CertificateApproved) || HasTrueCondition(csr, certificatesv1.CertificateDenied)
}
