package validation

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ClusterTrustBundles and PodCertificateRequests of certificates.k8s.io/v1,
// with upstream's rules (limits from upstream's certificates types).
const (
	maxTrustBundleSize      = 1 << 20
	minMaxExpiration        = 3600              // one hour
	kubernetesMaxExpiration = 24 * 3600         // signers under kubernetes.io
	maxMaxExpiration        = 91 * 24 * 3600    // any other signer
	maxPCRKeySize           = 10 * 1024         // stub request
	maxCertificateChainSize = 100 * 1024        //
	maxPCRUIDLength         = 128               //
	omitted                 = "<value omitted>" // as upstream, for PEM
)

// isKubernetesSigner reports whether a signer name is reserved by the
// Kubernetes project (kubernetes.io or a subdomain of it).
func isKubernetesSigner(name string) bool {
	host, _, _ := strings.Cut(name, "/")
	return host == "kubernetes.io" || strings.HasSuffix(host, ".kubernetes.io")
}

// trustBundleName: a bundle with a signer is named
// "<signer with / as :>:<name>"; one without may not contain ":".
func trustBundleName(signer string) func(string, bool) []string {
	return func(name string, prefix bool) []string {
		if signer == "" {
			if strings.Contains(name, ":") {
				return []string{`ClusterTrustBundle without signer name must not have ":" in its name`}
			}
			return nameIsDNSSubdomain(name, prefix)
		}
		want := strings.ReplaceAll(signer, "/", ":") + ":"
		if !strings.HasPrefix(name, want) {
			return []string{fmt.Sprintf("ClusterTrustBundle for signerName %s must be named with prefix %s", signer, want)}
		}
		return nameIsDNSSubdomain(strings.TrimPrefix(name, want), prefix)
	}
}

func validateClusterTrustBundle(b *certificatesv1.ClusterTrustBundle) field.ErrorList {
	return validateClusterTrustBundleBody(b, true)
}

func validateClusterTrustBundleBody(b *certificatesv1.ClusterTrustBundle, parse bool) field.ErrorList {
	errs := objectMeta(&b.ObjectMeta, false, trustBundleName(b.Spec.SignerName))
	if b.Spec.SignerName != "" {
		errs = append(errs, signerName(b.Spec.SignerName, field.NewPath("spec", "signerName"))...)
	}
	if parse {
		errs = append(errs, trustBundle(b.Spec.TrustBundle, field.NewPath("spec", "trustBundle"))...)
	}
	return errs
}

// validateClusterTrustBundleUpdate: the signer is immutable; an unchanged
// bundle is not parsed again.
func validateClusterTrustBundleUpdate(b, old *certificatesv1.ClusterTrustBundle) field.ErrorList {
	errs := validateClusterTrustBundleBody(b, b.Spec.TrustBundle != old.Spec.TrustBundle)
	errs = append(errs, metaUpdate(&b.ObjectMeta, &old.ObjectMeta)...)
	return append(errs, immutable(b.Spec.SignerName, old.Spec.SignerName, field.NewPath("spec", "signerName"))...)
}

// trustBundle: PEM CERTIFICATE blocks without headers, each a CA, no
// duplicates, at least one.
func trustBundle(in string, p *field.Path) field.ErrorList {
	if len(in) > maxTrustBundleSize {
		return field.ErrorList{field.TooLong(p, "", maxTrustBundleSize)}
	}
	var errs field.ErrorList
	seen := map[string]int{}
	rest := []byte(in)
	for i := 0; ; i++ {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		switch cert, err := x509.ParseCertificate(b.Bytes); {
		case b.Type != "CERTIFICATE":
			errs = append(errs, field.Invalid(p, omitted, fmt.Sprintf("entry %d has bad block type: %v", i, b.Type)))
		case len(b.Headers) != 0:
			errs = append(errs, field.Invalid(p, omitted, fmt.Sprintf("entry %d has PEM block headers", i)))
		case err != nil:
			errs = append(errs, field.Invalid(p, omitted, fmt.Sprintf("entry %d does not parse as X.509", i)))
		case !cert.IsCA:
			errs = append(errs, field.Invalid(p, omitted, fmt.Sprintf("entry %d does not have the CA bit set", i)))
		case !cert.BasicConstraintsValid:
			errs = append(errs, field.Invalid(p, omitted, fmt.Sprintf("entry %d has invalid basic constraints", i)))
		default:
			if j, dup := seen[string(b.Bytes)]; dup {
				errs = append(errs, field.Invalid(p, omitted, fmt.Sprintf("duplicate trust anchor (indices [%d %d])", j, i)))
			}
			seen[string(b.Bytes)] = i
		}
	}
	if len(errs) == 0 && len(seen) == 0 {
		errs = append(errs, field.Invalid(p, omitted, "at least one trust anchor must be provided"))
	}
	return errs
}

func validatePodCertificateRequest(r *certificatesv1.PodCertificateRequest) field.ErrorList {
	errs := objectMeta(&r.ObjectMeta, true, nameIsDNSSubdomain)
	sp := field.NewPath("spec")
	s := &r.Spec
	errs = append(errs, signerName(s.SignerName, sp.Child("signerName"))...)
	errs = append(errs, dnsSubdomain(s.PodName, sp.Child("podName"))...)
	errs = append(errs, dnsSubdomain(s.ServiceAccountName, sp.Child("serviceAccountName"))...)
	errs = append(errs, dnsSubdomain(string(s.NodeName), sp.Child("nodeName"))...)
	for name, uid := range map[string]string{"podUID": string(s.PodUID), "serviceAccountUID": string(s.ServiceAccountUID), "nodeUID": string(s.NodeUID)} {
		if uid == "" {
			errs = append(errs, field.Invalid(sp.Child(name), uid, "must not be empty"))
		} else if len(uid) > maxPCRUIDLength {
			errs = append(errs, field.TooLong(sp.Child(name), uid, maxPCRUIDLength))
		}
	}
	mp := sp.Child("maxExpirationSeconds")
	if s.MaxExpirationSeconds == nil {
		return append(errs, field.Required(mp, "must be set"))
	}
	if max := maxExpirationFor(s.SignerName); *s.MaxExpirationSeconds < minMaxExpiration || *s.MaxExpirationSeconds > max {
		errs = append(errs, field.Invalid(mp, *s.MaxExpirationSeconds, fmt.Sprintf("must be in the range [%d, %d]", minMaxExpiration, max)))
	}
	if len(s.StubPKCS10Request) == 0 {
		errs = append(errs, field.Required(sp.Child("stubPKCS10Request"), ""))
	} else {
		errs = append(errs, stubRequest(s.StubPKCS10Request, sp.Child("stubPKCS10Request"))...)
	}
	return errs
}

func maxExpirationFor(signer string) int32 {
	if isKubernetesSigner(signer) {
		return kubernetesMaxExpiration
	}
	return maxMaxExpiration
}

// stubRequest: a signed PKCS#10 request whose key is of a supported type
// (its other content is the signer's business, as upstream).
func stubRequest(der []byte, p *field.Path) field.ErrorList {
	if len(der) > maxPCRKeySize {
		return field.ErrorList{field.TooLong(p, "", maxPCRKeySize)}
	}
	req, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return field.ErrorList{field.Invalid(p, omitted, "must be a valid PKCS#10 CSR")}
	}
	if errs := publicKeyType(req.PublicKey, p); len(errs) > 0 {
		return errs
	}
	if err := req.CheckSignature(); err != nil {
		return field.ErrorList{field.Invalid(p, omitted, "invalid signature")}
	}
	return nil
}

// publicKeyType: Ed25519, ECDSA on P-256/384/521, or RSA of 3072 or 4096 bits.
func publicKeyType(key any, p *field.Path) field.ErrorList {
	switch k := key.(type) {
	case ed25519.PublicKey:
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() && k.Curve != elliptic.P521() {
			return field.ErrorList{field.Invalid(p, "curve "+k.Curve.Params().Name, "elliptic public keys must use curve P256, P384, or P521")}
		}
	case *rsa.PublicKey:
		if bits := k.Size() * 8; bits != 3072 && bits != 4096 {
			return field.ErrorList{field.Invalid(p, fmt.Sprintf("%d-bit modulus", bits), "RSA keys must have modulus size 3072 or 4096")}
		}
	default:
		return field.ErrorList{field.Invalid(p, omitted, "unknown public key type; supported types are Ed25519, ECDSA, and RSA")}
	}
	return nil
}

// validatePodCertificateRequestUpdate: the spec is immutable.
func validatePodCertificateRequestUpdate(r, old *certificatesv1.PodCertificateRequest) field.ErrorList {
	errs := metaUpdate(&r.ObjectMeta, &old.ObjectMeta)
	return append(errs, immutable(r.Spec, old.Spec, field.NewPath("spec"))...)
}

var pcrTerminal = []string{certificatesv1.PodCertificateRequestConditionTypeIssued,
	certificatesv1.PodCertificateRequestConditionTypeDenied, certificatesv1.PodCertificateRequestConditionTypeFailed}

// validatePodCertificateRequestStatus: at most one of Issued, Denied or
// Failed, with status True; once one is set the status is final; denying
// or failing sets nothing but conditions; issuing needs a certificate
// chain whose leaf holds the requested key, and its validity times.
func validatePodCertificateRequestStatus(r, old *certificatesv1.PodCertificateRequest) field.ErrorList {
	var errs field.ErrorList
	cp := field.NewPath("status", "conditions")
	known := 0
	for i, c := range r.Status.Conditions {
		errs = append(errs, enum(c.Type, cp.Index(i).Child("type"), pcrTerminal...)...)
		if known++; known > 1 {
			errs = append(errs, field.Invalid(cp.Index(i).Child("type"), c.Type, `There may be at most one condition with type "Issued", "Denied", or "Failed"`))
		}
		if c.Status != metav1.ConditionTrue {
			errs = append(errs, field.NotSupported(cp.Index(i).Child("status"), c.Status, []metav1.ConditionStatus{metav1.ConditionTrue}))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	sp := field.NewPath("status")
	if pcrState(old) != "" {
		if !semanticEqual(r.Status, old.Status) {
			errs = append(errs, field.Invalid(sp, omitted, "immutable after PodCertificateRequest is issued, denied, or failed"))
		}
		return errs
	}
	switch pcrState(r) {
	case certificatesv1.PodCertificateRequestConditionTypeDenied, certificatesv1.PodCertificateRequestConditionTypeFailed:
		if !semanticEqual(r.Status, certificatesv1.PodCertificateRequestStatus{Conditions: r.Status.Conditions}) {
			errs = append(errs, field.Invalid(sp, omitted, "non-condition status fields must be empty when denying or failing the PodCertificateRequest"))
		}
	case certificatesv1.PodCertificateRequestConditionTypeIssued:
		errs = append(errs, issuedChain(r, old)...)
	}
	return errs
}

// pcrState returns the request's terminal condition type, or "".
func pcrState(r *certificatesv1.PodCertificateRequest) string {
	for _, c := range r.Status.Conditions {
		if c.Status == metav1.ConditionTrue {
			return c.Type
		}
	}
	return ""
}

func issuedChain(r, old *certificatesv1.PodCertificateRequest) field.ErrorList {
	cp := field.NewPath("status", "certificateChain")
	chain := r.Status.CertificateChain
	if len(chain) > maxCertificateChainSize {
		return field.ErrorList{field.TooLong(cp, "", maxCertificateChainSize)}
	}
	block, _ := pem.Decode([]byte(chain))
	if block == nil || block.Type != "CERTIFICATE" {
		return field.ErrorList{field.Invalid(cp, omitted, "issued certificate chain must contain at least one certificate, all CERTIFICATE PEM blocks")}
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return field.ErrorList{field.Invalid(cp, omitted, "leaf certificate does not parse as valid X.509")}
	}
	var want any
	if req, err := x509.ParseCertificateRequest(old.Spec.StubPKCS10Request); err == nil {
		want = req.PublicKey
	}
	if k, ok := want.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(leaf.PublicKey) {
		return field.ErrorList{field.Invalid(cp, omitted, "leaf certificate was not issued to the requested public key")}
	}
	s := r.Status
	var errs field.ErrorList
	for name, t := range map[string]*metav1.Time{"notBefore": s.NotBefore, "notAfter": s.NotAfter, "beginRefreshAt": s.BeginRefreshAt} {
		if t == nil {
			errs = append(errs, field.Required(field.NewPath("status", name), "must be present and consistent with the issued certificate"))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if !s.NotBefore.Time.Equal(leaf.NotBefore) {
		errs = append(errs, field.Invalid(field.NewPath("status", "notBefore"), s.NotBefore.Time, "must be set to the NotBefore time encoded in the leaf certificate"))
	}
	if !s.NotAfter.Time.Equal(leaf.NotAfter) {
		errs = append(errs, field.Invalid(field.NewPath("status", "notAfter"), s.NotAfter.Time, "must be set to the NotAfter time encoded in the leaf certificate"))
	}
	return errs
}
