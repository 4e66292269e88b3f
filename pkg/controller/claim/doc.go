// Package claim is how a controller decides which objects it owns:
// objects whose controller ownerReference points at it, plus orphans its
// selector matches (adopted by adding that reference), minus owned
// objects its selector no longer matches (released by removing it). The
// replicaset controller claims pods this way; the deployment controller
// claims ReplicaSets.
package claim
