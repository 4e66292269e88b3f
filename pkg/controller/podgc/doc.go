// Package podgc is the pod garbage collector. Every Period it
//
//   - deletes the oldest terminated (Succeeded/Failed) pods beyond
//     TerminatedPodThreshold;
//   - force-deletes pods bound to a node that no longer exists, once the
//     node has been missing for Quarantine (and the server confirms it);
//   - force-deletes terminating pods that were never scheduled, and
//     terminating pods on a NotReady node with the out-of-service taint
//     (no kubelet will confirm their deletion).
//
// It is a periodic sweep over the informer caches, not a work queue:
// what it looks for is a property of the whole pod set (counts, nodes
// gone), as upstream.
package podgc
