// Package certificates holds what the CertificateSigningRequest
// controllers share: parsing a CSR's request (csr.go), reading its
// conditions, and the checks upstream makes of the requests for the
// built-in kubernetes.io signers (validate.go).
//
// The controllers are its subpackages, as upstream's
// pkg/controller/certificates: approver (csrapproving: auto-approves node
// client certificates) and signer (csrsigning: issues approved requests
// with the cluster CA). Together with bootstrap tokens
// (pkg/auth/bootstraptoken) they are TLS bootstrapping: a node that joins
// with a token (pkg/cmd/node/join.go) gets its own client certificate,
// system:node:<name> in system:nodes, without anyone handing it a key.
package certificates
