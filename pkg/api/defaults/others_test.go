package defaults_test

import "testing"

func TestOtherGroupsDefaults(t *testing.T) {
	runDefaultCases(t, []defaultCase{{
		name: "role binding subjects and roleRef",
		in: `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb}
roleRef: {kind: Role, name: r}
subjects:
- {kind: User, name: alice}
- {kind: Group, name: devs}
- {kind: ServiceAccount, name: sa, namespace: ns}
- {kind: User, name: bob, apiGroup: example.com}`,
		want: `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb}
roleRef: {kind: Role, name: r, apiGroup: rbac.authorization.k8s.io}
subjects:
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
- {kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}
- {kind: ServiceAccount, name: sa, namespace: ns}
- {kind: User, name: bob, apiGroup: example.com}`,
	}, {
		name: "cluster role binding",
		in: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {kind: ClusterRole, name: view}
subjects: [{kind: Group, name: system:authenticated}]`,
		want: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {kind: ClusterRole, name: view, apiGroup: rbac.authorization.k8s.io}
subjects: [{kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}]`,
	}, {
		name: "priority class",
		in:   `{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: high}, value: 1000}`,
		want: `{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: high}, value: 1000, preemptionPolicy: PreemptLowerPriority}`,
	}, {
		name: "storage class",
		in:   `{apiVersion: storage.k8s.io/v1, kind: StorageClass, metadata: {name: fast}, provisioner: example.com/csi}`,
		want: `{apiVersion: storage.k8s.io/v1, kind: StorageClass, metadata: {name: fast}, provisioner: example.com/csi, reclaimPolicy: Delete, volumeBindingMode: Immediate}`,
	}, {
		name: "endpoint slice ports",
		in: `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: es}
addressType: IPv4
endpoints: [{addresses: [10.0.0.1]}]
ports: [{port: 80}, {name: dns, port: 53, protocol: UDP}]`,
		want: `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: es}
addressType: IPv4
endpoints: [{addresses: [10.0.0.1]}]
ports: [{name: "", port: 80, protocol: TCP}, {name: dns, port: 53, protocol: UDP}]`,
	}, {
		name: "lease has no defaults",
		in:   `{apiVersion: coordination.k8s.io/v1, kind: Lease, metadata: {name: l}, spec: {holderIdentity: me}}`,
		want: `{apiVersion: coordination.k8s.io/v1, kind: Lease, metadata: {name: l}, spec: {holderIdentity: me}}`,
	}, {
		name: "events.k8s.io event has no defaults",
		in:   `{apiVersion: events.k8s.io/v1, kind: Event, metadata: {name: e}, reason: Started, eventTime: null}`,
		want: `{apiVersion: events.k8s.io/v1, kind: Event, metadata: {name: e}, reason: Started, eventTime: null}`,
	}, {
		name: "pod disruption budget has no defaults",
		in:   `{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: p}, spec: {minAvailable: 1}}`,
		want: `{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: p}, spec: {minAvailable: 1}}`,
	}})
}
