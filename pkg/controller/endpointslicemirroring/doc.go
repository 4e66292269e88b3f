// Package endpointslicemirroring is the EndpointSlice mirroring
// controller: for every Service without a selector whose Endpoints were
// written by someone else (a user, an external controller), it keeps
// EndpointSlices carrying the same addresses and ports, so that consumers
// reading only EndpointSlices (service proxies, DNS) see them too.
//
// As upstream: Endpoints labelled endpointslice.kubernetes.io/skip-mirror
// = "true" (the kubernetes Service's, written by the API server) or
// carrying a leader-election record are not mirrored; each subset
// mirrors at most MaxEndpointsPerSubset addresses; the slices are named
// "<endpoints>-<random>", labelled kubernetes.io/service-name and
// endpointslice.kubernetes.io/managed-by=endpointslicemirroring-controller.k8s.io,
// copy the Endpoints' labels and annotations, and are owned by the
// Endpoints. When the Service gains a selector or goes, or the Endpoints
// go, the mirrored slices are deleted.
//
// mirroring.go is the controller and its sync; desired.go computes the
// slices an Endpoints should have; reconcile.go writes the difference.
package endpointslicemirroring
