// Package node tests the node agent on a real containerd: pods run as
// real processes (internal/nodetest starts the server and the node).
// The tests skip where containerd, runc, the CNI plugins,
// busybox-static or root are missing.
package node
