// Package endpointslice is the endpointslice controller: for every
// Service with a selector it keeps EndpointSlices (named
// "<service>-<random>", labelled kubernetes.io/service-name and
// endpointslice.kubernetes.io/managed-by, owned by the Service) listing
// the matching pods with their ready/serving/terminating conditions, at
// most MaxEndpointsPerSlice per slice, one set of ports per slice.
//
// desired.go computes the slices a Service should have; reconcile.go
// turns the difference with the existing ones into creates, updates and
// deletes; tracker.go holds back a sync until the informer shows the
// controller's own last writes (else it would create duplicates). Slices
// of deleted Services go with them through the garbage collector
// (ownerReference).
package endpointslice
