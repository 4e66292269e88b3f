// Package garbagecollector is the garbage collector: it deletes objects
// whose owners (metadata.ownerReferences) are all gone, and carries out
// the two propagation policies the API server only records as finalizers:
//
//   - background (the default): the owner goes at once; its dependents
//     are deleted afterwards, once none of their owners exists;
//   - foreground: the owner keeps a deletionTimestamp and the
//     "foregroundDeletion" finalizer; its dependents are deleted, and the
//     finalizer is removed once no dependent with blockOwnerDeletion=true
//     is left, so the owner goes last;
//   - orphan: the owner has the "orphan" finalizer; its dependents lose
//     their ownerReferences to it, then the finalizer is removed.
//
// Reading order: graph.go is the in-memory picture (every object's uid,
// owners and deletion state, and an owner uid → dependents index), fed by
// an informer over every deletable resource that discovery lists
// (monitors.go, re-discovered periodically, and at once when an owner of
// a resource not watched yet turns up, so custom resources join): the
// controllers' shared typed informer where one already runs for the
// resource, as upstream's collector does, else a metadata informer of its
// own — one watch per resource, not two.
// garbagecollector.go runs a work queue of uids; process.go decides what
// to do for one uid; owners.go classifies an object's owners, asking the
// API server (by name, comparing uid) when the graph has not seen one.
//
// An owner found that way but not observed becomes a virtual owner, as
// in upstream's graph: its dependents are kept, and it is looked up
// again with backoff (process.go's recheckVirtual) until an informer
// observes it — its deletion then comes as an event — or it is found
// gone, when its dependents are judged again. Without this, the owner's
// deletion could go unseen for good: the informer of a new CRD's
// resource starts after it, or that of a re-created CRD relists after it.
//
// Upstream's graph builder also keeps a separate attemptToOrphan queue;
// here one queue and live lookups for unseen owners do the same job with
// less machinery.
package garbagecollector
