// Package signer is the csrsigning controller: it issues the approved
// CertificateSigningRequests of the built-in signers with the cluster CA
// (pkg/pki), as upstream's pkg/controller/certificates/signer:
//
//   - kubernetes.io/kube-apiserver-client-kubelet: node client
//     certificates (certificates.ValidateKubeletClient);
//   - kubernetes.io/kubelet-serving: kubelet serving certificates
//     (certificates.ValidateKubeletServing);
//   - kubernetes.io/kube-apiserver-client: any client certificate with
//     client-auth usage (certificates.ValidateAPIServerClient).
//
// A request that fails its signer's checks gets condition Failed (reason
// SignerValidationFailure, the check's message) and is never signed.
// Certificates last the cluster signing duration (one year), or
// spec.expirationSeconds when shorter (at least 10 minutes, twice the
// 5-minute backdate), and never past the CA's own expiry. Requests for
// other signers are left to whoever serves them.
package signer
