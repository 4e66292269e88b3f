package defaults_test

import "testing"

func TestNetworkingAndCSIDriverDefaults(t *testing.T) {
	runDefaultCases(t, []defaultCase{{
		name: "network policy with egress rules and ports",
		in: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80}]}]
  egress: [{ports: [{port: 53, protocol: UDP}]}]`,
		want: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80, protocol: TCP}]}]
  egress: [{ports: [{port: 53, protocol: UDP}]}]
  policyTypes: [Ingress, Egress]`,
	}, {
		name: "network policy without rules isolates ingress",
		in: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np}
spec: {podSelector: {}}`,
		want: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np}
spec: {podSelector: {}, policyTypes: [Ingress]}`,
	}, {
		name: "ingress class parameters scope",
		in: `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx, parameters: {kind: Params, name: p}}`,
		want: `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx, parameters: {kind: Params, name: p, scope: Cluster}}`,
	}, {
		name: "csi driver",
		in: `
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: csi.example.com}
spec: {attachRequired: false}`,
		want: `
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: csi.example.com}
spec: {attachRequired: false, podInfoOnMount: false, storageCapacity: false, requiresRepublish: false,
  seLinuxMount: false, fsGroupPolicy: ReadWriteOnceWithFSType, volumeLifecycleModes: [Persistent]}`,
	}})
}
