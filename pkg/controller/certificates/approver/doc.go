// Package approver is the csrapproving controller: it approves the
// CertificateSigningRequests of node client certificates
// (kubernetes.io/kube-apiserver-client-kubelet, CN system:node:<name>,
// O system:nodes, client-auth usages) as upstream's
// pkg/controller/certificates/approver does, with the same condition
// (reason AutoApproved, upstream's messages):
//
//   - "nodeclient": a new node's request, made with a bootstrap token (by
//     a user in system:bootstrappers) or by a cluster admin
//     (system:masters);
//   - "selfnodeclient": a node renewing its own certificate (the
//     requester is system:node:<name> in system:nodes, the name in the
//     request's CN).
//
// Upstream asks a SubjectAccessReview whether the requester may create
// certificatesigningrequests/nodeclient (or selfnodeclient); its
// bootstrap RBAC grants these to exactly the groups above. tinykube has no
// RBAC yet (every authenticated user is allowed everything), so the
// controller checks those groups itself.
//
// kubelet-serving requests are never auto-approved, as upstream: a node
// that joins serves its kubelet API with a self-signed certificate, as
// the upstream kubelet does without serverTLSBootstrap (the API server's
// node proxy does not verify kubelet serving certificates, as upstream
// without --kubelet-certificate-authority). An admin may approve a
// serving request with `kubectl certificate approve`; the signer then
// issues it.
package approver
