// Package server assembles a running tinykube API server: certificates
// (pkg/pki), etcd (pkg/etcd, embedded or external), the registry of
// stores (pkg/registry), the HTTP API (pkg/apiserver) and the bootstrap
// objects every cluster starts with (bootstrap.go; kube-public/cluster-info,
// which nodes joining from other hosts read, in clusterinfo.go), and keeps the server
// listed in the kubernetes Service's endpoints (endpoints.go, with
// server/endpointreconciler). `tinykube server` and
// `tinykube apiserver` are thin Cobra wrappers around Run.
package server
