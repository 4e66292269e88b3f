// Package leaderelect runs a component only while it holds its Lease in
// kube-system, so two tinykube servers (or a tinykube and an upstream
// component) on one cluster never both act. The controller manager and the
// scheduler use it, with upstream's lease names and timings.
package leaderelect
