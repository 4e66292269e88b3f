// Package cni is tinykube-cni, the project's own CNI plugin (CNI spec
// 1.0/1.1: ADD, DEL, CHECK, STATUS, GC, VERSION).
//
// The tinykube binary runs it when invoked under the name "tinykube-cni"
// (cmd/tinykube/main.go calls ServeIfCalled, which looks at argv[0],
// before Cobra), so a node only links the binary into its CNI bin dir and
// writes a network config with "type": "tinykube-cni" (see NetConf for
// the fields): a real node does so by default
// (pkg/node/containerd/cni_tinykube.go). Test binaries that run a real
// node in-process call ServeIfCalled in TestMain, as the node links its
// own executable.
//
// On ADD it creates or reuses a Linux bridge carrying the gateway (first
// address of podCIDR), makes a veth pair per pod (host side on the bridge,
// hairpin mode, container side with the pod's address and a default route
// via the gateway, loopback up), turns on net.ipv4.ip_forward and installs
// the bridge's masquerade rules for traffic leaving the cluster CIDR. DEL
// undoes a pod's part and is idempotent; the rules go with the last pod.
//
// Files: config.go parses and validates the network config; ipam.go is the
// host-local-style allocator (one file per IP under dataDir, flock, kept
// across restarts); link.go the bridge and veth helpers; masq.go the
// iptables rules; plugin.go the CNI commands and Main; serve.go
// ServeIfCalled.
//
// It is written on the CNI libraries (containernetworking/cni skel and
// types, containernetworking/plugins ns and ip helpers, vishvananda/netlink)
// and calls none of the reference plugins.
package cni
