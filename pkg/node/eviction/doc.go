// Package eviction computes a real node's MemoryPressure, DiskPressure
// and PIDPressure conditions as the kubelet's eviction manager does:
// it observes the eviction signals from the machine (signals.go:
// memory.available, nodefs.available, nodefs.inodesFree,
// imagefs.available, imagefs.inodesFree, pid.available), compares them
// with hard thresholds in the kubelet's --eviction-hard syntax
// (threshold.go; upstream's defaults: memory.available<100Mi,
// nodefs.available<10%, nodefs.inodesFree<5%, imagefs.available<15%,
// imagefs.inodesFree<5%), and reports a condition True while one of its
// signals is past its threshold and for the pressure transition period
// after (pressure.go).
//
// It evicts no pods: a node under pressure only says so (its
// conditions, and the node lifecycle controller's NoSchedule taints
// keep new pods away).
//
// The node agent (pkg/node, agent_realnode.go) observes the signals at
// each node sync and puts the conditions in the Node's status.
package eviction
