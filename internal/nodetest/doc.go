// Package nodetest starts, for a test, a real tinykube API server and one
// real node in-process: the node agent on a private containerd (root,
// state, socket, CNI bridge and podCIDR of its own, all removed at the
// end of the test, with every pod sandbox). Tests build their images
// with pkg/node/images (Busybox wraps Debian's busybox-static) and load
// them with ImportImage; nothing is pulled from the internet.
//
// StartNode skips the test when containerd, runc, the CNI plugins or
// root are missing (CI installs them: .ci/run).
package nodetest
