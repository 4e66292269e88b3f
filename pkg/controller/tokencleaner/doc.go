// Package tokencleaner is the tokencleaner controller: it deletes
// bootstrap token Secrets (kube-system, type bootstrap.kubernetes.io/token,
// pkg/auth/bootstraptoken) once their expiration has passed, as upstream's
// pkg/controller/bootstrap/tokencleaner does. (The authenticator refuses
// an expired token already; this only keeps kube-system tidy.)
package tokencleaner
