// Package statefulset is the StatefulSet controller: pods with stable
// names <set>-<ordinal> and stable storage (one PVC per
// volumeClaimTemplate per ordinal, created before the pod and kept when
// the pod goes), started in ordinal order one at a time (OrderedReady) or
// all at once (Parallel), updated from the highest ordinal down to
// spec.updateStrategy.rollingUpdate.partition.
//
// Files: controller.go (informers, queue, workers), sync.go (one set:
// revisions, the ordinal walk, status), pods.go (building pods and PVCs).
// Template history lives in pkg/controller/history.
package statefulset
