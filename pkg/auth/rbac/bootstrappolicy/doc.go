// Package bootstrappolicy is the RBAC policy every cluster starts with,
// as upstream's plugin/pkg/auth/authorizer/rbac/bootstrappolicy: the
// roles and bindings a server reconciles at start.
//
// The tables are data, in one place: policy_cluster.go (cluster-admin,
// admin/edit/view and their aggregate-to-* roles, system:basic-user,
// system:discovery, system:public-info-viewer, the scheduler's, the
// controller manager's, the node's, the proxy's, ...),
// policy_controllers.go (one role per controller), policy_namespaces.go
// (kube-system and kube-public), and policy_tinykube.go: what kubeadm
// adds and upstream's cluster leaves to it (anonymous read of
// kube-public/cluster-info, the bootstrap-token bindings), and the
// bindings for nodes in system:nodes, which upstream's Node authorizer
// makes unnecessary and tinykube, having none yet, needs.
//
// reconcile.go is upstream's reconciliation: a missing object is
// created; an existing one gets the rules, subjects, labels and
// annotations it lacks (nothing is taken away) unless annotated
// rbac.authorization.kubernetes.io/autoupdate: "false"; a binding whose
// roleRef differs is replaced.
package bootstrappolicy
