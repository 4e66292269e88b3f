package validation

import (
	"testing"

	"github.com/tinykube/tinykube/pkg/api/defaults"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// defaulter applies the same upstream v1 defaults the server applies before
// validation, so fixtures are written the way a user would write them.
var defaulter = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := defaults.RegisterDefaults(s); err != nil {
		panic(err)
	}
	return s
}()

const podSpecYAML = `
      containers:
      - name: app
        image: nginx:1.27
        ports:
        - containerPort: 80
          name: http
        env:
        - name: MODE
          value: prod
        volumeMounts:
        - name: data
          mountPath: /data
        resources:
          requests: {cpu: 100m, memory: 64Mi}
          limits: {cpu: "1", memory: 128Mi}
      volumes:
      - name: data
        emptyDir: {}`

// fixtures returns one valid, defaulted object per served kind, keyed by
// kind. Each call returns fresh objects.
func fixtures(t testing.TB) map[string]runtime.Object {
	t.Helper()
	m := map[string]runtime.Object{}
	add := func(kind string, obj runtime.Object, manifest string) {
		if err := yaml.UnmarshalStrict([]byte(manifest), obj); err != nil {
			t.Fatalf("%s fixture: %v", kind, err)
		}
		defaulter.Default(obj)
		m[kind] = obj
	}
	podSpec := indent(podSpecYAML, -4)
	add("Pod", &corev1.Pod{}, `
metadata: {name: web, namespace: default, labels: {app: web}}
spec:`+podSpec)
	add("PodTemplate", &corev1.PodTemplate{}, `
metadata: {name: tpl, namespace: default}
template:
  metadata: {labels: {app: web}}
  spec:`+indent(podSpecYAML, -2))
	add("ReplicationController", &corev1.ReplicationController{}, `
metadata: {name: rc, namespace: default}
spec:
  replicas: 2
  selector: {app: web}
  template:
    metadata: {labels: {app: web}}
    spec:`+podSpecYAML)
	for kind, obj := range map[string]runtime.Object{"Deployment": &appsv1.Deployment{}, "ReplicaSet": &appsv1.ReplicaSet{}, "DaemonSet": &appsv1.DaemonSet{}} {
		replicas := "\n  replicas: 3"
		if kind == "DaemonSet" {
			replicas = ""
		}
		add(kind, obj, `
metadata: {name: web, namespace: default}
spec:`+replicas+`
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:`+podSpecYAML)
	}
	add("StatefulSet", &appsv1.StatefulSet{}, `
metadata: {name: db, namespace: default}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:`+podSpecYAML+`
  volumeClaimTemplates:
  - metadata: {name: pvc}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}`)
	add("ControllerRevision", &appsv1.ControllerRevision{}, `
metadata: {name: web-1, namespace: default}
data: {spec: {}}
revision: 1`)
	add("Job", &batchv1.Job{}, `
metadata: {name: pi, namespace: default}
spec:
  completions: 3
  parallelism: 1
  template:
    spec:
      restartPolicy: Never`+podSpecYAML)
	add("CronJob", &batchv1.CronJob{}, `
metadata: {name: nightly, namespace: default}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure`+indent(podSpecYAML, 4))
	add("Service", &corev1.Service{}, `
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10]
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: https, port: 443, targetPort: 8443}`)
	add("Endpoints", &corev1.Endpoints{}, `
metadata: {name: web, namespace: default}
subsets:
- addresses: [{ip: 10.244.0.5}]
  ports: [{name: http, port: 80}, {name: https, port: 443}]`)
	add("EndpointSlice", &discoveryv1.EndpointSlice{}, `
metadata: {name: web-abc, namespace: default}
addressType: IPv4
endpoints:
- addresses: [10.244.0.5]
ports: [{name: http, port: 80, protocol: TCP}]`)
	add("ConfigMap", &corev1.ConfigMap{}, `
metadata: {name: cfg, namespace: default}
data: {"app.properties": "a=b"}
binaryData: {blob: AAEC}`)
	add("Secret", &corev1.Secret{}, `
metadata: {name: tls, namespace: default}
type: kubernetes.io/tls
data: {tls.crt: Y2VydA==, tls.key: a2V5}`)
	add("Namespace", &corev1.Namespace{}, `
metadata: {name: team-a}
spec: {finalizers: [kubernetes]}`)
	add("Node", &corev1.Node{}, `
metadata: {name: node-1.example.com}
spec:
  podCIDR: 10.244.1.0/24
  podCIDRs: [10.244.1.0/24, "fd00::/64"]
  taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]`)
	add("ServiceAccount", &corev1.ServiceAccount{}, `
metadata: {name: builder, namespace: default}`)
	add("Event", &corev1.Event{}, `
metadata: {name: web.17a, namespace: default}
involvedObject: {kind: Pod, name: web, namespace: default}
reason: Started
type: Normal
count: 1`)
	add("events.k8s.io/Event", &eventsv1.Event{}, `
metadata: {name: web.17b, namespace: default}
eventTime: "2024-01-01T00:00:00.000000Z"
reportingController: kubelet
reportingInstance: node-1
action: Started
reason: Started
type: Normal
regarding: {kind: Pod, name: web, namespace: default}`)
	add("LimitRange", &corev1.LimitRange{}, `
metadata: {name: limits, namespace: default}
spec:
  limits:
  - type: Container
    max: {cpu: "2"}
    min: {cpu: 10m}
    default: {cpu: 500m}
    defaultRequest: {cpu: 100m}`)
	add("ResourceQuota", &corev1.ResourceQuota{}, `
metadata: {name: quota, namespace: default}
spec: {hard: {pods: "10", requests.cpu: "4", count/deployments.apps: "5"}}`)
	add("PersistentVolume", &corev1.PersistentVolume{}, `
metadata: {name: pv-1}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /mnt/data}`)
	add("PersistentVolumeClaim", &corev1.PersistentVolumeClaim{}, `
metadata: {name: data, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}`)
	add("Binding", &corev1.Binding{}, `
metadata: {name: web, namespace: default}
target: {kind: Node, name: node-1}`)
	add("Lease", &coordinationv1.Lease{}, `
metadata: {name: kube-scheduler, namespace: kube-system}
spec: {holderIdentity: a, leaseDurationSeconds: 15, leaseTransitions: 0}`)
	add("PodDisruptionBudget", &policyv1.PodDisruptionBudget{}, `
metadata: {name: web, namespace: default}
spec: {minAvailable: 50%, selector: {matchLabels: {app: web}}}`)
	add("Role", &rbacv1.Role{}, `
metadata: {name: "pod-reader", namespace: default}
rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}]`)
	add("ClusterRole", &rbacv1.ClusterRole{}, `
metadata: {name: "system:metrics"}
rules:
- {apiGroups: [""], resources: [nodes], verbs: [get]}
- {nonResourceURLs: [/metrics], verbs: [get]}`)
	add("RoleBinding", &rbacv1.RoleBinding{}, `
metadata: {name: read-pods, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
- {kind: User, name: jane}
- {kind: ServiceAccount, name: builder, namespace: default}`)
	add("ClusterRoleBinding", &rbacv1.ClusterRoleBinding{}, `
metadata: {name: "system:metrics"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:metrics"}
subjects: [{kind: Group, name: "system:authenticated"}]`)
	add("PriorityClass", &schedulingv1.PriorityClass{}, `
metadata: {name: high}
value: 1000
globalDefault: false`)
	add("StorageClass", &storagev1.StorageClass{}, `
metadata: {name: standard}
provisioner: rancher.io/local-path
parameters: {type: ssd}`)
	return m
}

// indent shifts every line of a YAML block by n spaces (negative removes).
func indent(s string, n int) string {
	out := []byte{}
	for i, line := range splitLines(s) {
		if i > 0 {
			out = append(out, '\n')
		}
		switch {
		case n > 0 && line != "":
			for j := 0; j < n; j++ {
				out = append(out, ' ')
			}
			out = append(out, line...)
		case n < 0 && len(line) >= -n:
			out = append(out, line[-n:]...)
		default:
			out = append(out, line...)
		}
	}
	return string(out)
}

func splitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			lines = append(lines, s[start:i])
			start = i + 1
		}
	}
	return append(lines, s[start:])
}

// hasError reports whether errs contains an error at path of type typ.
func hasError(errs field.ErrorList, path string, typ field.ErrorType) bool {
	for _, e := range errs {
		if e.Field == path && e.Type == typ {
			return true
		}
	}
	return false
}
