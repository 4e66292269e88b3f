package validation

import (
	"crypto/x509"
	"encoding/pem"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var keyUsages = []certificatesv1.KeyUsage{
	certificatesv1.UsageSigning, certificatesv1.UsageDigitalSignature, certificatesv1.UsageContentCommitment,
	certificatesv1.UsageKeyEncipherment, certificatesv1.UsageKeyAgreement, certificatesv1.UsageDataEncipherment,
	certificatesv1.UsageCertSign, certificatesv1.UsageCRLSign, certificatesv1.UsageEncipherOnly,
	certificatesv1.UsageDecipherOnly, certificatesv1.UsageAny, certificatesv1.UsageServerAuth,
	certificatesv1.UsageClientAuth, certificatesv1.UsageCodeSigning, certificatesv1.UsageEmailProtection,
	certificatesv1.UsageSMIME, certificatesv1.UsageIPsecEndSystem, certificatesv1.UsageIPsecTunnel,
	certificatesv1.UsageIPsecUser, certificatesv1.UsageTimestamping, certificatesv1.UsageOCSPSigning,
	certificatesv1.UsageMicrosoftSGC, certificatesv1.UsageNetscapeSGC,
}

func validateCSR(csr *certificatesv1.CertificateSigningRequest) field.ErrorList {
	errs := objectMeta(&csr.ObjectMeta, false, nameIsDNSSubdomain)
	return append(errs, validateCSRSpec(&csr.Spec, field.NewPath("spec"))...)
}

func validateCSRSpec(s *certificatesv1.CertificateSigningRequestSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if block, _ := pem.Decode(s.Request); block == nil || block.Type != "CERTIFICATE REQUEST" {
		errs = append(errs, field.Invalid(p.Child("request"), s.Request, "PEM block type must be CERTIFICATE REQUEST"))
	} else if _, err := x509.ParseCertificateRequest(block.Bytes); err != nil {
		errs = append(errs, field.Invalid(p.Child("request"), s.Request, err.Error()))
	}
	errs = append(errs, signerName(s.SignerName, p.Child("signerName"))...)
	up := p.Child("usages")
	if len(s.Usages) == 0 {
		errs = append(errs, field.Required(up, ""))
	}
	seen := sets.New[certificatesv1.KeyUsage]()
	for i, u := range s.Usages {
		errs = append(errs, enum(u, up.Index(i), keyUsages...)...)
		if seen.Has(u) {
			errs = append(errs, field.Duplicate(up.Index(i), u))
		}
		seen.Insert(u)
	}
	if s.ExpirationSeconds != nil && *s.ExpirationSeconds < 600 {
		errs = append(errs, field.Invalid(p.Child("expirationSeconds"), *s.ExpirationSeconds, "may not specify a duration less than 600 seconds (10 minutes)"))
	}
	return errs
}

// signerName is <domain>/<path>: a DNS subdomain, then a path of at most
// 253 characters.
func signerName(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	domain, path, ok := strings.Cut(v, "/")
	if !ok || path == "" {
		return field.ErrorList{field.Invalid(p, v, "must be a fully qualified domain and path of the form 'example.com/signer-name'")}
	}
	errs := dnsSubdomain(domain, p)
	if len(path) > 253 {
		errs = append(errs, field.TooLong(p, "", 253))
	}
	return errs
}

func validateCSRUpdate(csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
	return withMetaUpdate(&csr.ObjectMeta, &old.ObjectMeta, validateCSRSpec(&csr.Spec, field.NewPath("spec")))
}

// validateCSRConditions checks the conditions written through /status or
// /approval: known types with a status, at most one of each approval
// type, and never both Approved and Denied.
func validateCSRConditions(csr *certificatesv1.CertificateSigningRequest) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("status", "conditions")
	seen := map[certificatesv1.RequestConditionType]bool{}
	for i, c := range csr.Status.Conditions {
		cp := p.Index(i)
		if c.Type == "" {
			errs = append(errs, field.Required(cp.Child("type"), ""))
		}
		errs = append(errs, enum(c.Status, cp.Child("status"), "True", "False", "Unknown")...)
		switch c.Type {
		case certificatesv1.CertificateApproved, certificatesv1.CertificateDenied, certificatesv1.CertificateFailed:
			if seen[c.Type] {
				errs = append(errs, field.Duplicate(cp.Child("type"), c.Type))
			}
			if c.Type != certificatesv1.CertificateFailed && c.Status != "True" {
				errs = append(errs, field.NotSupported(cp.Child("status"), c.Status, []string{"True"}))
			}
		}
		seen[c.Type] = true
	}
	if seen[certificatesv1.CertificateApproved] && seen[certificatesv1.CertificateDenied] {
		errs = append(errs, field.Invalid(p, csr.Status.Conditions, "Approved and Denied conditions are mutually exclusive"))
	}
	return errs
}

func countConditions(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) int {
	n := 0
	for _, c := range csr.Status.Conditions {
		if c.Type == t {
			n++
		}
	}
	return n
}

// ValidateCSRStatusUpdate checks a write to /status: the conditions, a
// PEM certificate that once issued does not change, and no added or
// removed Approved/Denied conditions (those belong to /approval).
func ValidateCSRStatusUpdate(csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
	errs := metaUpdate(&csr.ObjectMeta, &old.ObjectMeta)
	errs = append(errs, validateCSRConditions(csr)...)
	cp := field.NewPath("status", "conditions")
	for _, t := range []certificatesv1.RequestConditionType{certificatesv1.CertificateApproved, certificatesv1.CertificateDenied} {
		if n, was := countConditions(csr, t), countConditions(old, t); n > was {
			errs = append(errs, field.Forbidden(cp, "updates may not add a condition of type \""+string(t)+"\""))
		} else if n < was {
			errs = append(errs, field.Forbidden(cp, "updates may not remove a condition of type \""+string(t)+"\""))
		}
	}
	certp := field.NewPath("status", "certificate")
	if len(old.Status.Certificate) > 0 && string(old.Status.Certificate) != string(csr.Status.Certificate) {
		errs = append(errs, field.Invalid(certp, "", "updates may not modify existing certificate content"))
	}
	if len(csr.Status.Certificate) > 0 {
		if block, _ := pem.Decode(csr.Status.Certificate); block == nil || block.Type != "CERTIFICATE" {
			errs = append(errs, field.Invalid(certp, "<certificate data>", "must contain at least one CERTIFICATE PEM block"))
		} else if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			errs = append(errs, field.Invalid(certp, "<certificate data>", err.Error()))
		}
	}
	return errs
}

// ValidateCSRApprovalUpdate checks a write to /approval: the conditions,
// and no removed Approved/Denied conditions, so a decision stands.
func ValidateCSRApprovalUpdate(csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
	errs := metaUpdate(&csr.ObjectMeta, &old.ObjectMeta)
	errs = append(errs, validateCSRConditions(csr)...)
	cp := field.NewPath("status", "conditions")
	for _, t := range []certificatesv1.RequestConditionType{certificatesv1.CertificateApproved, certificatesv1.CertificateDenied} {
		if countConditions(csr, t) < countConditions(old, t) {
			errs = append(errs, field.Forbidden(cp, "updates may not remove a condition of type \""+string(t)+"\""))
		}
	}
	return errs
}
