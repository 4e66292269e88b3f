package validation

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// podCertificateKeyTypes are the key types a kubelet generates for a
// podCertificate projection.
var podCertificateKeyTypes = []string{"RSA3072", "RSA4096", "ECDSAP256", "ECDSAP384", "ECDSAP521", "ED25519"}

// validateProjected checks a projected volume: one source per entry, and
// the files the sources write do not collide. Of the sources, the
// podCertificate projection is checked as upstream (signer, key type,
// maxExpirationSeconds bounds, paths).
func validateProjected(v *corev1.ProjectedVolumeSource, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if m := v.DefaultMode; m != nil && (*m > 0o777 || *m < 0) {
		errs = append(errs, field.Invalid(p.Child("defaultMode"), *m, "must be a number between 0 and 0777 (octal), both inclusive"))
	}
	paths := sets.New[string]()
	for i := range v.Sources {
		src := &v.Sources[i]
		sp := p.Child("sources").Index(i)
		n := 0
		for _, set := range []bool{src.Secret != nil, src.DownwardAPI != nil, src.ConfigMap != nil,
			src.ServiceAccountToken != nil, src.ClusterTrustBundle != nil, src.PodCertificate != nil} {
			if set {
				n++
			}
		}
		if n > 1 {
			errs = append(errs, field.Forbidden(sp, "may not specify more than 1 volume type per source"))
		}
		if pc := src.PodCertificate; pc != nil {
			errs = append(errs, podCertificateProjection(pc, sp.Child("podCertificate"), p, paths)...)
		}
	}
	return errs
}

func podCertificateProjection(pc *corev1.PodCertificateProjection, p, volPath *field.Path, paths sets.Set[string]) field.ErrorList {
	errs := signerName(pc.SignerName, p.Child("signerName"))
	errs = append(errs, enum(pc.KeyType, p.Child("keyType"), podCertificateKeyTypes...)...)
	if m := pc.MaxExpirationSeconds; m != nil {
		mp := p.Child("maxExpirationSeconds")
		if *m < minMaxExpiration {
			errs = append(errs, field.Invalid(mp, *m, fmt.Sprintf("if provided, maxExpirationSeconds must be >= %d", minMaxExpiration)))
		}
		if max := maxExpirationFor(pc.SignerName); *m > max {
			errs = append(errs, field.Invalid(mp, *m, fmt.Sprintf("if provided, maxExpirationSeconds must be <= %d", max)))
		}
	}
	n := 0
	for _, f := range []struct{ name, path string }{
		{"credentialBundlePath", pc.CredentialBundlePath}, {"keyPath", pc.KeyPath}, {"certificateChainPath", pc.CertificateChainPath},
	} {
		if f.path == "" {
			continue
		}
		n++
		errs = append(errs, localPath(f.path, p.Child(f.name))...)
		if paths.Has(f.path) {
			errs = append(errs, field.Invalid(volPath, f.path, "conflicting duplicate paths"))
		}
		paths.Insert(f.path)
	}
	if n == 0 {
		errs = append(errs, field.Required(p, "specify at least one of credentialBundlePath, keyPath, and certificateChainPath"))
	}
	return errs
}

// localPath: a relative path without "..", not starting with "..".
func localPath(v string, p *field.Path) field.ErrorList {
	switch {
	case strings.HasPrefix(v, "/"):
		return field.ErrorList{field.Invalid(p, v, "must be a relative path")}
	case hasDotDot(v):
		return field.ErrorList{field.Invalid(p, v, "must not contain '..'")}
	case strings.HasPrefix(v, ".."):
		return field.ErrorList{field.Invalid(p, v, "must not start with '..'")}
	}
	return nil
}
