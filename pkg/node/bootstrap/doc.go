// Package bootstrap is how a node that joins from another host gets its
// own credentials (TLS bootstrapping), as kubeadm's token discovery plus
// the kubelet's pkg/kubelet/certificate/bootstrap do it:
//
//  1. Discovery (discovery.go): read kube-public/cluster-info over TLS
//     without verifying the server (there is nothing to verify it with
//     yet), check that the CA in it matches the --ca-cert-hash the admin
//     gave (SHA-256 of the CA's SubjectPublicKeyInfo, CAHash), then read
//     it again trusting only that CA, so a server without the CA's key
//     cannot pass, and check the bootstrapsigner's JWS signature for the
//     token in it (pkg/controller/bootstrapsigner), so a server that does
//     not know the token cannot either.
//  2. The client certificate (csr.go): make an ECDSA key, send a
//     CertificateSigningRequest for CN system:node:<name>, O system:nodes,
//     signer kubernetes.io/kube-apiserver-client-kubelet, authenticated
//     with the bootstrap token; wait (bounded) for the csrapproving and
//     csrsigning controllers (pkg/controller/certificates) to approve and
//     issue it.
//  3. The kubeconfig (bootstrap.go): write <dir>/kubelet.kubeconfig and
//     the key, certificate and CA beside it (0600), through which the node
//     runs as system:node:<name>. On a restart a kubeconfig whose
//     certificate is still valid is used as is: no token needed.
package bootstrap
