// Package certificatesigningrequest is the strategy of
// certificates.k8s.io/v1 CertificateSigningRequests: on create the
// requesting user's name, uid, groups and extra are recorded in the spec
// and the status is cleared; the spec never changes afterwards. /status
// sets the certificate and conditions other than Approved and Denied;
// /approval changes only status.conditions, and a decision, once made,
// is never removed.
//
// No signing controller runs: nothing approves, signs or garbage-collects
// CSRs, so a CSR stays pending until a client approves or denies it and
// a signer of its own writes status.certificate.
package certificatesigningrequest
