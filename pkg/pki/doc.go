// Package pki creates and loads the certificates a tinykube cluster runs on.
//
// Ensure(dir, opts) is called once at server start. The first call generates,
// under dir:
//
//	ca.crt, ca.key               the cluster CA (ECDSA P-256, 10 years)
//	apiserver.crt, apiserver.key the API server's serving certificate
//	admin.crt, admin.key         client certificate CN=tinykube-admin,
//	                             O=system:masters (the admin kubeconfig's user)
//	apiserver-kubelet-client.crt/.key
//	                             client certificate CN=kube-apiserver-kubelet-client,
//	                             O=system:masters: the API server towards kubelets
//	sa.key, sa.pub               the service-account token signing key pair
//
// Later calls load the same files and reuse them. Only leaf certificates are
// ever regenerated: the serving certificate when it lacks a requested SAN,
// no longer chains to the CA, or is near expiry; the admin certificate when
// it no longer chains to the CA or is near expiry. The CA and the
// service-account key are never replaced once they exist, because doing so
// would invalidate every credential handed out before.
//
// Private keys are written with mode 0600, through a temporary file and a
// rename, so a crash never leaves half a key behind.
//
// The returned Bundle feeds the rest of the server: its CAPool verifies
// client certificates (pkg/auth/authn), ServingCert goes into the TLS
// listener, and WriteKubeconfig produces DIR/admin.kubeconfig for kubectl.
package pki
