// Package resourceslice is the strategy of resource.k8s.io/v1
// ResourceSlices, the devices a DRA driver publishes for a node or a
// set of nodes: spec.nodeName, spec.driver and spec.pool.name are
// selectable fields (a kubelet lists the slices of its node, a driver
// its own), and generation moves with the spec. Validation lives in
// pkg/api/validation (resource.go).
package resourceslice
