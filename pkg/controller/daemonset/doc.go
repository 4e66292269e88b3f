// Package daemonset is the DaemonSet controller: one pod on every node
// the pod template may run on (nodeSelector, required node affinity,
// taints against tolerations), each pinned to its node by required node
// affinity on metadata.name so the default scheduler places it; pods are
// replaced node by node on a template change (RollingUpdate with
// maxUnavailable or maxSurge) or only when deleted (OnDelete).
//
// Files: controller.go (informers, queue, workers), sync.go (one set:
// per-node decisions, rolling update, status), pods.go (eligibility and
// building a daemon pod). Template history is pkg/controller/history.
package daemonset
