// Package pod is the pods resource: selectable fields (spec.nodeName,
// status.phase…), graceful deletion for pods bound to a node, and the
// binding, eviction and ephemeralcontainers subresources.
package pod
