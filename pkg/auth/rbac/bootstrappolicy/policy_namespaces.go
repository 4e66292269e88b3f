// Upstream's namespaced bootstrap roles and bindings (kube-system,
// kube-public), transcribed from upstream's bootstrap policy (v1.37).

package bootstrappolicy

import rbacv1 "k8s.io/api/rbac/v1"

var namespaceRoles = []role{
	{name: "system:controller:bootstrap-signer", namespace: "kube-public", rules: []rbacv1.PolicyRule{
		rule("get,list,watch", "", "configmaps"),
		rule("update", "", "configmaps", "cluster-info"),
		rule("create,patch,update", ",events.k8s.io", "events"),
	}},
	{name: "extension-apiserver-authentication-reader", namespace: "kube-system", rules: []rbacv1.PolicyRule{
		rule("get,list,watch", "", "configmaps", "extension-apiserver-authentication"),
	}},
	{name: "system::leader-locking-kube-controller-manager", namespace: "kube-system", rules: []rbacv1.PolicyRule{
		rule("create,get,list,update,watch", "coordination.k8s.io", "leases"),
		rule("create,get,list,update,watch", "coordination.k8s.io", "leasecandidates"),
	}},
	{name: "system::leader-locking-kube-scheduler", namespace: "kube-system", rules: []rbacv1.PolicyRule{
		rule("create,get,list,update,watch", "coordination.k8s.io", "leases"),
		rule("create,get,list,update,watch", "coordination.k8s.io", "leasecandidates"),
	}},
	{name: "system:controller:bootstrap-signer", namespace: "kube-system", rules: []rbacv1.PolicyRule{
		rule("get,list,watch", "", "secrets"),
	}},
	{name: "system:controller:cloud-provider", namespace: "kube-system", rules: []rbacv1.PolicyRule{
		rule("create,get,list,watch", "", "configmaps"),
	}},
	{name: "system:controller:token-cleaner", namespace: "kube-system", rules: []rbacv1.PolicyRule{
		rule("delete,get,list,watch", "", "secrets"),
		rule("create,patch,update", ",events.k8s.io", "events"),
	}},
}

var namespaceRoleBindings = []binding{
	{name: "system:controller:bootstrap-signer", namespace: "kube-public", subjects: []rbacv1.Subject{sa("kube-system", "bootstrap-signer")}},
	{name: "system::extension-apiserver-authentication-reader", namespace: "kube-system", role: "extension-apiserver-authentication-reader", subjects: []rbacv1.Subject{user("system:kube-controller-manager"), user("system:kube-scheduler")}},
	{name: "system::leader-locking-kube-controller-manager", namespace: "kube-system", subjects: []rbacv1.Subject{user("system:kube-controller-manager"), sa("kube-system", "kube-controller-manager"), sa("kube-system", "leader-election-controller")}},
	{name: "system::leader-locking-kube-scheduler", namespace: "kube-system", subjects: []rbacv1.Subject{user("system:kube-scheduler"), sa("kube-system", "kube-scheduler")}},
	{name: "system:controller:bootstrap-signer", namespace: "kube-system", subjects: []rbacv1.Subject{sa("kube-system", "bootstrap-signer")}},
	{name: "system:controller:cloud-provider", namespace: "kube-system", subjects: []rbacv1.Subject{sa("kube-system", "cloud-provider")}},
	{name: "system:controller:token-cleaner", namespace: "kube-system", subjects: []rbacv1.Subject{sa("kube-system", "token-cleaner")}},
}
