package integration

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/tinykube/tinykube/pkg/api"
)

// podSpec is a minimal valid pod spec, indented to sit under "spec:" at
// the given depth by fixture().
const podSpec = `containers:
- name: app
  image: nginx:1.27`

// manifests holds one minimal valid object per served resource, keyed by
// "<group>/<resource>" (core group ""). Each is written as a user would
// write it; the server fills in defaults. NS stands for the namespace;
// fixture() adds name, namespace and the label fixture=<name>.
var manifests = map[string]string{
	"/configmaps": `
data: {k: v}`,
	"/endpoints": `
subsets:
- addresses: [{ip: 10.244.0.5}]
  ports: [{name: http, port: 80}]`,
	"/events": `
involvedObject: {kind: Pod, name: web, namespace: NS}
reason: Started
type: Normal
count: 1`,
	"/limitranges": `
spec:
  limits:
  - type: Container
    default: {cpu: 500m}`,
	"/namespaces": ``,
	"/nodes": `
spec: {podCIDR: 10.244.1.0/24}`,
	"/persistentvolumeclaims": `
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}`,
	"/persistentvolumes": `
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /mnt/data}`,
	"/pods": `
spec:
` + indent(podSpec, 2),
	"/podtemplates": `
template:
  metadata: {labels: {app: web}}
  spec:
` + indent(podSpec, 4),
	"/replicationcontrollers": `
spec:
  replicas: 1
  selector: {app: web}
  template:
    metadata: {labels: {app: web}}
    spec:
` + indent(podSpec, 6),
	"/resourcequotas": `
spec: {hard: {pods: "10"}}`,
	"/secrets": `
stringData: {password: hunter2}`,
	"/serviceaccounts": ``,
	"/services": `
spec:
  selector: {app: web}
  ports: [{port: 80}]`,
	"admissionregistration.k8s.io/mutatingadmissionpolicies": `
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}]
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration: {expression: 'Object{metadata: Object.metadata{labels: {"mutated": "true"}}}'}
  reinvocationPolicy: Never`,
	"admissionregistration.k8s.io/mutatingadmissionpolicybindings": `
spec: {policyName: some-policy}`,
	"admissionregistration.k8s.io/mutatingwebhookconfigurations": `
webhooks:
- name: m.example.com
  clientConfig: {url: "https://example.com/mutate"}
  admissionReviewVersions: [v1]
  sideEffects: None`,
	"admissionregistration.k8s.io/validatingadmissionpolicies": `
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}]
  validations: [{expression: "object.spec.replicas <= 5"}]`,
	"admissionregistration.k8s.io/validatingadmissionpolicybindings": `
spec: {policyName: some-policy, validationActions: [Deny]}`,
	"admissionregistration.k8s.io/validatingwebhookconfigurations": `
webhooks:
- name: v.example.com
  clientConfig: {url: "https://example.com/validate"}
  admissionReviewVersions: [v1]
  sideEffects: None`,
	"apps/controllerrevisions": `
data: {spec: {}}
revision: 1`,
	"apps/daemonsets": `
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
` + indent(podSpec, 6),
	"apps/deployments": `
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
` + indent(podSpec, 6),
	"apps/replicasets": `
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
` + indent(podSpec, 6),
	"apps/statefulsets": `
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
` + indent(podSpec, 6),
	"batch/cronjobs": `
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
` + indent(podSpec, 10),
	"autoscaling/horizontalpodautoscalers": `
spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, maxReplicas: 3}`,
	"batch/jobs": `
spec:
  template:
    spec:
      restartPolicy: Never
` + indent(podSpec, 6),
	"coordination.k8s.io/leases": `
spec: {holderIdentity: a, leaseDurationSeconds: 15}`,
	"discovery.k8s.io/endpointslices": `
addressType: IPv4
endpoints:
- addresses: [10.244.0.5]
ports: [{name: http, port: 80, protocol: TCP}]`,
	"events.k8s.io/events": `
eventTime: "2024-01-01T00:00:00.000000Z"
reportingController: kubelet
reportingInstance: node-1
action: Started
reason: Started
type: Normal
regarding: {kind: Pod, name: web, namespace: NS}`,
	"flowcontrol.apiserver.k8s.io/flowschemas": `
spec:
  priorityLevelConfiguration: {name: global-default}
  matchingPrecedence: 10000
  rules:
  - subjects: [{kind: User, user: {name: jane}}]
    nonResourceRules: [{verbs: ["*"], nonResourceURLs: ["*"]}]`,
	"flowcontrol.apiserver.k8s.io/prioritylevelconfigurations": `
spec:
  type: Limited
  limited:
    nominalConcurrencyShares: 1
    limitResponse: {type: Reject}`,
	"policy/poddisruptionbudgets": `
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}`,
	"rbac.authorization.k8s.io/clusterrolebindings": `
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: User, name: jane}]`,
	"rbac.authorization.k8s.io/clusterroles": `
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]`,
	"rbac.authorization.k8s.io/rolebindings": `
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects: [{kind: User, name: jane}]`,
	"rbac.authorization.k8s.io/roles": `
rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}]`,
	"scheduling.k8s.io/priorityclasses": `
value: 1000`,
	"storage.k8s.io/storageclasses": `
provisioner: example.com/local`,
	"storage.k8s.io/csidrivers": `
spec: {attachRequired: false}`,
	"storage.k8s.io/csinodes": `
spec: {drivers: [{name: csi.example.com, nodeID: n1}]}`,
	"storage.k8s.io/volumeattachments": `
spec: {attacher: csi.example.com, nodeName: n1, source: {persistentVolumeName: pv1}}`,
	"networking.k8s.io/ingresses": `
spec:
  rules:
  - host: web.example.com
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]`,
	"networking.k8s.io/ingressclasses": `
spec: {controller: example.com/ingress}`,
	"networking.k8s.io/networkpolicies": `
spec: {podSelector: {matchLabels: {app: web}}, ingress: [{ports: [{port: 80}]}]}`,
	"node.k8s.io/runtimeclasses": `
handler: runc`,
	"certificates.k8s.io/certificatesigningrequests": `
spec: {signerName: example.com/signer, usages: [client auth], request: ` + csrRequest + `}`,
	"resource.k8s.io/deviceclasses": `
spec: {selectors: [{cel: {expression: 'device.driver == "gpu.example.com"'}}]}`,
	"resource.k8s.io/devicetaintrules": `
spec: {deviceSelector: {driver: gpu.example.com}, taint: {key: example.com/maintenance, effect: NoSchedule}}`,
	"resource.k8s.io/resourceclaims": `
spec: {devices: {requests: [{name: gpu, exactly: {deviceClassName: gpu.example.com}}]}}`,
	"resource.k8s.io/resourceclaimtemplates": `
spec: {spec: {devices: {requests: [{name: gpu, exactly: {deviceClassName: gpu.example.com}}]}}}`,
	"resource.k8s.io/resourceslices": `
spec: {driver: gpu.example.com, nodeName: n1, pool: {name: n1, resourceSliceCount: 1}, devices: [{name: gpu-0}]}`,
	"storage.k8s.io/csistoragecapacities": `
storageClassName: standard
capacity: 10Gi
nodeTopology: {matchLabels: {topology.kubernetes.io/zone: z1}}`,
	"storage.k8s.io/volumeattributesclasses": `
driverName: csi.example.com
parameters: {iops: "3000"}`,
	"networking.k8s.io/servicecidrs": `
spec: {cidrs: [10.96.0.0/16]}`,
	"certificates.k8s.io/clustertrustbundles": `
spec:
  trustBundle: |
    -----BEGIN CERTIFICATE-----
    MIIBgTCCASegAwIBAgIUHlsBmnxwshvnO0fBSsil5RXRt7cwCgYIKoZIzj0EAwIw
    FTETMBEGA1UEAwwKZml4dHVyZS1jYTAgFw0yNjEyMDcwMTI5MDBaGA8yMTI2MTEx
    MzAxMjkwMFowFTETMBEGA1UEAwwKZml4dHVyZS1jYTBZMBMGByqGSM49AgEGCCqG
    SM49AwEHA0IABNyjT/SlPK0b9U5fDTn+qcCxV9utZD4zHfLxKsqn8OqRpAnB/ba9
    q6Wy2utKHWZT+/OlCl1UKcg1UyBFc1zd/hijUzBRMB0GA1UdDgQWBBTxYuNIg7nt
    0cfoSmczbW8+hCoGWDAfBgNVHSMEGDAWgBTxYuNIg7nt0cfoSmczbW8+hCoGWDAP
    BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQCURA6L85kyw1qr6CdE
    V7y4stiMk3PA9c8Kcz+bOfKHAAIgK8vuZLiVKfzGa67fHasRGgQPDuzd0Unt6XR8
    tTFiGag=
    -----END CERTIFICATE-----`,
	"certificates.k8s.io/podcertificaterequests": `
spec: {signerName: example.com/pods, podName: web, podUID: pod-uid, serviceAccountName: default,
  serviceAccountUID: sa-uid, nodeName: n1, nodeUID: node-uid, maxExpirationSeconds: 86400,
  stubPKCS10Request: ` + stubPKCS10 + `}`,
	"storagemigration.k8s.io/storageversionmigrations": `
spec: {resource: {group: "", resource: foo}}`,
}

// stubPKCS10 is a base64 DER certificate request (ECDSA P-256, empty
// subject), as a kubelet sends for a podCertificate volume.
const stubPKCS10 = "MIG5MGICAQAwADBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNyjT/SlPK0b9U5fDTn+qcCxV9utZD4zHfLxKsqn8OqRpAnB/ba9q6Wy2utKHWZT+/OlCl1UKcg1UyBFc1zd/higADAKBggqhkjOPQQDAgNHADBEAiB4Sk2OUCfeW15LzrYwbK6t2WDQsSFMpZWXuJ7XpyX/CAIgUfVq2fAUaIJeWi+kfvCnI2yosT7/dxf/Casz2pZusPc="

// csrRequest is a base64 PEM certificate request (ECDSA P-256, CN jane).
const csrRequest = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlISU1IRUNBUUF3RHpFTk1Bc0dBMVVFQXhNRWFtRnVaVEJaTUJNR0J5cUdTTTQ5QWdFR0NDcUdTTTQ5QXdFSApBMElBQkpEMFVxZHVtUTIxL3d3QndtNFRHa1QxVGQxYlpab0l5V0tkTjQ2eVNsSGYvcVVGNEU0K2JIenBobjM3Ckwvbm5zNEF6VG1qVHB6NWhLYmV0TWM2YTdmR2dBREFLQmdncWhrak9QUVFEQWdOSEFEQkVBaUFGZnFHallQdUkKWUlaeUhLV050WjQ0aThwb29nQ3ZtWWZNd2JtNWtQbkFZd0lnWC8zSGRBRDFjOVJaUGFNWHdZaUFMdW02L3p5RwpsT05SSXVBNldKSndyL0E9Ci0tLS0tRU5EIENFUlRJRklDQVRFIFJFUVVFU1QtLS0tLQo="

// createOnly are resources served with only the create verb: they are
// not CRUD-able and are covered by their own tests.
var createOnly = map[string]bool{"/bindings": true, "authentication.k8s.io/selfsubjectreviews": true,
	"authentication.k8s.io/tokenreviews": true, "authorization.k8s.io/selfsubjectaccessreviews": true,
	"authorization.k8s.io/subjectaccessreviews":      true,
	"authorization.k8s.io/localsubjectaccessreviews": true, "authorization.k8s.io/selfsubjectrulesreviews": true}

func resourceKey(r api.Resource) string { return r.GroupVersion.Group + "/" + r.Name }

// fixture returns the object for r named name in namespace ns (ignored
// for cluster-scoped resources) as unstructured.
func fixture(t testing.TB, r api.Resource, ns, name string) *unstructured.Unstructured {
	t.Helper()
	body, ok := manifests[resourceKey(r)]
	if !ok {
		t.Fatalf("no fixture for %s: add one to manifests", resourceKey(r))
	}
	nsLine := ""
	if r.Namespaced {
		nsLine = ", namespace: " + ns
	}
	doc := fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata: {name: %s%s, labels: {fixture: %s}}\n%s",
		r.GroupVersion.String(), r.Kind, name, nsLine, name, strings.ReplaceAll(strings.TrimPrefix(body, "\n"), "NS", ns))
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatalf("%s fixture: %v\n%s", resourceKey(r), err, doc)
	}
	return u
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}
