// Package podcontrol holds what controllers that own pods share: the pod
// predicates (active, terminating, ready, available), the order in which
// surplus pods are deleted, building a pod from a template, slow-start
// batching of creates, and an informer index of pods by their controller.
// (The expectations that keep such a controller from acting twice are in
// pkg/controller/expectations.)
//
// Users: pkg/controller/replicaset (ReplicaSets and
// ReplicationControllers) and pkg/controller/deployment; the readiness
// predicate IsReady also job, disruption, endpoint and endpointslice.
package podcontrol
