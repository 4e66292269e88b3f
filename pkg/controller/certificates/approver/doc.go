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
// certificatesigningrequests/nodeclient (or selfnodeclient); kubeadm
// binds nodeclient to its tokens' group
// system:bootstrappers:kubeadm:default-node-token and selfnodeclient to
// system:nodes, and system:masters may do anything. The controller does
// not ask a SubjectAccessReview yet; it checks groups itself, a little
// more widely: any system:bootstrappers user (every bootstrap token) for
// nodeclient (RBAC also binds those roles, pkg/auth/rbac/bootstrappolicy).
//
// kubelet-serving requests: upstream auto-approves none (an admin or an
// external approver must). tinykube approves one when, and only when, it
// cannot name anything but the requesting node itself: requested by
// system:node:<name> in system:nodes, for CN system:node:<name> and O
// system:nodes with upstream's serving usages, and every SAN is <name> or
// an address in Node <name>'s status.addresses. A node can therefore
// get a CA-signed serving certificate for itself, never for another
// node's name; its addresses are what its Node reports, which the node
// itself writes (without RBAC and NodeRestriction nothing stops a node
// from reporting another's address, as nothing stops any authenticated
// user from approving a request). A request whose Node does not show those addresses yet is
// looked at again whenever that Node changes, and otherwise stays pending
// for a human (`kubectl certificate approve`). A joined node serves its kubelet
// API with a self-signed certificate until its serving certificate is
// issued (pkg/node/bootstrap/serving.go), as the upstream kubelet without
// serverTLSBootstrap; the API server's node proxy does not verify
// kubelet serving certificates (as upstream without
// --kubelet-certificate-authority), so logs and exec work either way.
package approver
