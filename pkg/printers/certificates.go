package printers

import (
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Printers for certificates.k8s.io.

func addCertificatesHandlers(g *Generator) {
	spec, status := certificatesv1.CertificateSigningRequestSpec{}.SwaggerDoc(), certificatesv1.CertificateSigningRequestStatus{}.SwaggerDoc()
	register(g, printerFor[*certificatesv1.CertificateSigningRequest]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			ageColumn(),
			col("SignerName", "string", spec["signerName"]),
			col("Requestor", "string", spec["request"]),
			col("RequestedDuration", "string", spec["expirationSeconds"]),
			col("Condition", "string", status["conditions"]),
		},
		cells: func(csr *certificatesv1.CertificateSigningRequest, pc *printContext) ([]interface{}, error) {
			signer := orNone(csr.Spec.SignerName)
			requested := "<none>"
			if s := csr.Spec.ExpirationSeconds; s != nil {
				requested = duration.HumanDuration(time.Duration(*s) * time.Second)
			}
			return []interface{}{csr.Name, since(pc, csr.CreationTimestamp), signer, csr.Spec.Username, requested,
				csrCondition(csr)}, nil
		},
	})
}

// csrCondition is Pending, Approved or Denied, then ",Failed" and
// ",Issued" as they apply.
func csrCondition(csr *certificatesv1.CertificateSigningRequest) string {
	var approved, denied, failed bool
	for _, c := range csr.Status.Conditions {
		switch c.Type {
		case certificatesv1.CertificateApproved:
			approved = true
		case certificatesv1.CertificateDenied:
			denied = true
		case certificatesv1.CertificateFailed:
			failed = true
		}
	}
	s := "Pending"
	if denied {
		s = "Denied"
	} else if approved {
		s = "Approved"
	}
	if failed {
		s += ",Failed"
	}
	if len(csr.Status.Certificate) > 0 {
		s += ",Issued"
	}
	return s
}
