// Command nodecleanup removes what a real tinykube node (tinykube
// server --node, tinykube node --runtime containerd) leaves behind on
// purpose when it stops: its pods, which keep running as they do when a
// kubelet stops. hack/conformance-node.sh uses it after a run.
//
//	go run ./hack/nodecleanup --data-dir DIR/node --node-name NAME           # while the node runs: remove every pod sandbox
//	go run ./hack/nodecleanup --data-dir DIR/node --node-name NAME --stopped # after it stopped: cgroups, bridge, mounts
package main
