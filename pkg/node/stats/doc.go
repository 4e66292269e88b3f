// Package stats builds a real node's stats summary, the document the
// kubelet serves at /stats/summary (k8s.io/kubelet's stats/v1alpha1
// Summary: what metrics-server and `kubectl top` read), in upstream's
// JSON shape:
//
//   - the node: CPU from /proc/stat, memory from the root memory cgroup
//     (working set as in pkg/node/eviction), the node file system
//     (statfs of the data dir), the runtime's image file system
//     (statfs of its root, used bytes from CRI ImageFsInfo) and the PID
//     rlimit (node.go);
//   - each pod the node runs (pods.go): its containers' CPU, memory and
//     writable layer from CRI ListContainerStats, with what containerd
//     1.6 leaves out (usage, RSS, page faults) read from the
//     container's cgroup, and its log directory's size; the pod's own
//     CPU, memory and network from CRI ListPodSandboxStats (containerd
//     1.6 has it), else from its cgroup (<CgroupRoot>/pod<uid>); its
//     volumes under the data dir and its ephemeral-storage (writable
//     layers, logs and volumes on the node file system).
//
// usageNanoCores is a rate: it is computed between two summaries, as the
// kubelet's CRI stats provider does from its cache, so the first summary
// of a container or of the node has none.
//
// pkg/node/kubeletserver serves the summary; the API server reaches it
// as nodes/NODE/proxy/stats/summary.
package stats
