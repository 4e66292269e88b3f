// Package podcertificaterequest is the strategy of certificates.k8s.io/v1
// PodCertificateRequests, the certificates a kubelet requests for a pod's
// podCertificate projected volume: spec.signerName, spec.podName and
// spec.nodeName are selectable fields (a signer lists its requests, a
// kubelet those of its node). Validation lives in pkg/api/validation.
package podcertificaterequest
