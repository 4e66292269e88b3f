// Package clustertrustbundle is the strategy of certificates.k8s.io/v1
// ClusterTrustBundles, the CA bundles a signer publishes for the whole
// cluster: spec.signerName is a selectable field (kube-controller-manager
// and kubelets list the bundles of one signer). Validation lives in
// pkg/api/validation (certificates_pod.go and certificates.go).
package clustertrustbundle
