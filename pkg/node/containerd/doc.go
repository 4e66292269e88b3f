// Package containerd starts and supervises a node's private containerd:
// its config.toml, root, state, socket, CNI config and log all live
// under the node's data dir, so two nodes (or two tests) on one machine
// never share a containerd, and nothing of the machine's own containerd
// (/etc/containerd, /var/lib/containerd, /run/containerd) is touched.
//
// Start writes the config (config.go), runs the containerd binary, waits
// for its CRI socket, and imports the project's pause image
// (pkg/node/images) so that no sandbox ever pulls one. A containerd that
// dies is restarted (with a back-off) and reported in the log; Stop ends
// it with SIGTERM, then SIGKILL. Once the node has a podCIDR the node's
// CNI conflist is written for Config.CNI: cni_tinykube.go for
// tinykube-cni (pkg/network/cni, the tinykube binary linked into the
// node's own CNI bin dir beside the reference portmap and loopback; the
// plugin masquerades), cni.go for Debian's reference plugins (bridge,
// host-local, portmap, loopback), with masq.go keeping the node's one
// masquerade chain for its podCIDRs (the bridge plugin's per-pod ipMasq
// rules cost iptables calls in every sandbox start and stop). Either
// conflist removes the other's masquerade rules; cni.go removes the
// bridge and both on cleanup.
package containerd
