// Package replicaset is the replicaset controller, which also serves
// ReplicationControllers: for each one it keeps spec.replicas active
// pods made from its template, adopting orphans its selector matches
// and releasing pods it no longer matches, and reports replicas,
// fullyLabeledReplicas, readyReplicas, availableReplicas and the
// ReplicaFailure condition in status.
//
// Both kinds run the same code: the controller sees everything as a
// *appsv1.ReplicaSet, and a small adapter (kind.go) converts a
// ReplicationController into one on the way in and its status back on
// the way out. Reading order: kind.go (the two kinds), controller.go
// (informer events → queue keys, expectations), sync.go (one
// reconcile), status.go.
//
// The deployment controller (pkg/controller/deployment) drives this one
// by scaling ReplicaSets; it never touches pods itself.
package replicaset
