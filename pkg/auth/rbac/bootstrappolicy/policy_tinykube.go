package bootstrappolicy

import rbacv1 "k8s.io/api/rbac/v1"

// What a kubeadm cluster adds to upstream's policy, which tinykube's
// token join (`tinykube token create`, `tinykube node --token`) relies
// on, under kubeadm's names:
//
//   - anonymous GET of kube-public/cluster-info (the join's discovery);
//   - bootstrap tokens (group system:bootstrappers:kubeadm:default-node-token)
//     may create node client CSRs, which the csrapproving controller
//     approves, and read Nodes;
//   - nodes may renew their own client certificates.
//
// And what tinykube adds because it has no Node authorizer yet: nodes
// (group system:nodes) get upstream's system:node and system:node-proxier
// roles by group, as clusters without the Node authorizer bind them
// (a node can then read every Secret and write every pod's status — the
// Node authorizer and NodeRestriction are what narrow that), and the
// reads of the network-policy agent a real node runs.
var (
	tinykubeClusterRoles = []role{
		{name: "kubeadm:get-nodes", rules: []rbacv1.PolicyRule{
			rule("get", "", "nodes"),
		}},
		{name: "tinykube:network-policy-agent", rules: []rbacv1.PolicyRule{
			rule("get,list,watch", "networking.k8s.io", "networkpolicies"),
			rule("get,list,watch", "", "namespaces,pods"),
		}},
	}
	tinykubeClusterRoleBindings = []binding{
		{name: "kubeadm:kubelet-bootstrap", role: "system:node-bootstrapper",
			subjects: []rbacv1.Subject{group("system:bootstrappers:kubeadm:default-node-token")}},
		{name: "kubeadm:node-autoapprove-bootstrap", role: "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
			subjects: []rbacv1.Subject{group("system:bootstrappers:kubeadm:default-node-token")}},
		{name: "kubeadm:node-autoapprove-certificate-rotation", role: "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
			subjects: []rbacv1.Subject{group("system:nodes")}},
		{name: "kubeadm:get-nodes", subjects: []rbacv1.Subject{group("system:bootstrappers:kubeadm:default-node-token")}},
		{name: "tinykube:nodes", role: "system:node", subjects: []rbacv1.Subject{group("system:nodes")}},
		{name: "tinykube:node-proxier", role: "system:node-proxier", subjects: []rbacv1.Subject{group("system:nodes")}},
		{name: "tinykube:network-policy-agent", subjects: []rbacv1.Subject{group("system:nodes")}},
	}
	tinykubeRoles = []role{
		{name: "kubeadm:bootstrap-signer-clusterinfo", namespace: "kube-public", rules: []rbacv1.PolicyRule{
			rule("get", "", "configmaps", "cluster-info"),
		}},
	}
	tinykubeRoleBindings = []binding{
		{name: "kubeadm:bootstrap-signer-clusterinfo", namespace: "kube-public", subjects: []rbacv1.Subject{user("system:anonymous")}},
	}
)
