// Package podcontrol holds what controllers that own pods share: the
// expectations that keep a controller from acting twice while its
// informer catches up with its own writes, the pod predicates (active,
// terminating, ready, available), the order in which surplus pods are
// deleted, building a pod from a template, slow-start batching of
// creates, and an informer index of pods by their controller.
//
// Users: pkg/controller/replicaset (ReplicaSets and
// ReplicationControllers) and pkg/controller/deployment.
package podcontrol
