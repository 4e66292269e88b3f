// Package nodelifecycle is the node lifecycle controller, with taint-based
// eviction folded in:
//
//   - a node whose Lease in kube-node-lease has not been renewed for the
//     grace period (upstream's node-monitor-grace-period, 40 s) gets its
//     Ready, MemoryPressure, DiskPressure and PIDPressure conditions set to
//     Unknown ("Kubelet stopped posting node status."), and its pods'
//     Ready condition set to False (nodes.go, monitor);
//   - a node's taints follow its Ready condition: Unknown → the
//     node.kubernetes.io/unreachable NoExecute and NoSchedule taints,
//     False → node.kubernetes.io/not-ready, True → neither; and a node
//     reporting MemoryPressure, DiskPressure or PIDPressure True gets the
//     node.kubernetes.io/memory-pressure, disk-pressure or pid-pressure
//     NoSchedule taint, as upstream's NoSchedule tainting pass does
//     (nodes.go, syncTaints);
//   - a pod on a node with NoExecute taints is deleted at once if it does
//     not tolerate one of them, else when the shortest matching
//     tolerationSeconds has passed since the taint was added (pods.go).
//     The API server gives every pod 300 s tolerations for both taints
//     (DefaultTolerationSeconds), so workloads move after five minutes.
//
// Staleness is judged by when this controller saw a Lease's renewTime
// change, on its own clock, so clock skew between nodes does not matter.
// Nothing polls: each node is re-queued for the moment its Lease would go
// stale, and each pod for the moment its toleration runs out.
package nodelifecycle
