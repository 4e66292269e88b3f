package defaults_test

import "testing"

func TestPodDefaults(t *testing.T) {
	runDefaultCases(t, []defaultCase{{
		name: "pod with nested containers, probes, env and volumes",
		in: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  serviceAccount: builder
  initContainers:
  - name: init
    image: "busybox:latest"
    resources: {limits: {memory: 64Mi}}
  containers:
  - name: app
    image: "registry.example.com:5000/team/app:v1.2"
    ports: [{containerPort: 8080}, {containerPort: 53, protocol: UDP}]
    env:
    - name: NODE
      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
    resources:
      limits: {cpu: "1", memory: 128Mi}
      requests: {cpu: 100m}
    livenessProbe: {httpGet: {port: 8080}}
    readinessProbe: {grpc: {port: 9090}, periodSeconds: 5}
    startupProbe: {tcpSocket: {port: 8080}}
    lifecycle: {preStop: {httpGet: {port: 8080, path: /quit}}}
  - name: sidecar
    image: "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    imagePullPolicy: Never
    terminationMessagePolicy: FallbackToLogsOnError
  volumes:
  - name: scratch
  - name: sec
    secret: {secretName: s}
  - name: cm
    configMap: {name: c, defaultMode: 0400}
  - name: host
    hostPath: {path: /var/log}
  - name: dapi
    downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
  - name: proj
    projected:
      sources:
      - serviceAccountToken: {path: token}
      - downwardAPI: {items: [{path: ns, fieldRef: {fieldPath: metadata.namespace}}]}
  - name: eph
    ephemeral:
      volumeClaimTemplate:
        spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
  - name: img
    image: {reference: "quay.io/org/artifact:v2"}`,
		want: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  serviceAccount: builder
  serviceAccountName: builder
  restartPolicy: Always
  terminationGracePeriodSeconds: 30
  dnsPolicy: ClusterFirst
  securityContext: {}
  schedulerName: default-scheduler
  enableServiceLinks: true
  initContainers:
  - name: init
    image: "busybox:latest"
    imagePullPolicy: Always
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
    resources: {limits: {memory: 64Mi}, requests: {memory: 64Mi}}
  containers:
  - name: app
    image: "registry.example.com:5000/team/app:v1.2"
    imagePullPolicy: IfNotPresent
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
    ports: [{containerPort: 8080, protocol: TCP}, {containerPort: 53, protocol: UDP}]
    env:
    - name: NODE
      valueFrom: {fieldRef: {apiVersion: v1, fieldPath: spec.nodeName}}
    resources:
      limits: {cpu: "1", memory: 128Mi}
      requests: {cpu: 100m, memory: 128Mi}
    livenessProbe:
      httpGet: {port: 8080, path: /, scheme: HTTP}
      timeoutSeconds: 1
      periodSeconds: 10
      successThreshold: 1
      failureThreshold: 3
    readinessProbe:
      grpc: {port: 9090, service: ""}
      timeoutSeconds: 1
      periodSeconds: 5
      successThreshold: 1
      failureThreshold: 3
    startupProbe:
      tcpSocket: {port: 8080}
      timeoutSeconds: 1
      periodSeconds: 10
      successThreshold: 1
      failureThreshold: 3
    lifecycle: {preStop: {httpGet: {port: 8080, path: /quit, scheme: HTTP}}}
  - name: sidecar
    image: "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    imagePullPolicy: Never
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: FallbackToLogsOnError
    resources: {}
  volumes:
  - name: scratch
    emptyDir: {}
  - name: sec
    secret: {secretName: s, defaultMode: 420}
  - name: cm
    configMap: {name: c, defaultMode: 256}
  - name: host
    hostPath: {path: /var/log, type: ""}
  - name: dapi
    downwardAPI:
      defaultMode: 420
      items: [{path: labels, fieldRef: {apiVersion: v1, fieldPath: metadata.labels}}]
  - name: proj
    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken: {path: token, expirationSeconds: 3600}
      - downwardAPI: {items: [{path: ns, fieldRef: {apiVersion: v1, fieldPath: metadata.namespace}}]}
  - name: eph
    ephemeral:
      volumeClaimTemplate:
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
          volumeMode: Filesystem
  - name: img
    image: {reference: "quay.io/org/artifact:v2", pullPolicy: IfNotPresent}`,
	}, {
		name: "pod host network, negative grace period, status IPs, rounding",
		in: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: -5
  enableServiceLinks: false
  restartPolicy: Never
  containers:
  - name: c
    image: "nginx:1.27"
    ports: [{containerPort: 80}, {containerPort: 81, hostPort: 9081}]
    resources: {requests: {cpu: 0.0001}}
status:
  podIP: 10.0.0.1`,
		want: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  enableServiceLinks: false
  restartPolicy: Never
  dnsPolicy: ClusterFirst
  securityContext: {}
  schedulerName: default-scheduler
  containers:
  - name: c
    image: "nginx:1.27"
    imagePullPolicy: IfNotPresent
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
    ports: [{containerPort: 80, hostPort: 80, protocol: TCP}, {containerPort: 81, hostPort: 9081, protocol: TCP}]
    resources: {requests: {cpu: 1m}}
status:
  podIP: 10.0.0.1
  podIPs: [{ip: 10.0.0.1}]`,
	}, {
		name: "pod template gets spec defaults but not pod-only ones",
		in: `
apiVersion: v1
kind: PodTemplate
metadata: {name: t}
template:
  spec:
    hostNetwork: true
    containers:
    - name: c
      image: nginx
      ports: [{containerPort: 80}]
      resources: {limits: {cpu: "1"}}`,
		want: `
apiVersion: v1
kind: PodTemplate
metadata: {name: t}
template:
  spec:
    hostNetwork: true
    restartPolicy: Always
    terminationGracePeriodSeconds: 30
    dnsPolicy: ClusterFirst
    securityContext: {}
    schedulerName: default-scheduler
    containers:
    - name: c
      image: nginx
      imagePullPolicy: Always
      terminationMessagePath: /dev/termination-log
      terminationMessagePolicy: File
      ports: [{containerPort: 80, protocol: TCP}]
      resources: {limits: {cpu: "1"}}`,
	}, {
		name: "replication controller takes selector and labels from template",
		in: `
apiVersion: v1
kind: ReplicationController
metadata: {name: rc}
spec:
  template:` + templateIn,
		want: `
apiVersion: v1
kind: ReplicationController
metadata: {name: rc, labels: {app: web}}
spec:
  replicas: 1
  selector: {app: web}
  template:` + templateWant,
	}, {
		name: "replication controller keeps its own selector and labels",
		in: `
apiVersion: v1
kind: ReplicationController
metadata: {name: rc, labels: {tier: x}}
spec:
  replicas: 0
  selector: {app: other}
  template:` + templateIn,
		want: `
apiVersion: v1
kind: ReplicationController
metadata: {name: rc, labels: {tier: x}}
spec:
  replicas: 0
  selector: {app: other}
  template:` + templateWant,
	}})
}

func TestServiceDefaults(t *testing.T) {
	runDefaultCases(t, []defaultCase{{
		name: "cluster IP",
		in: `
apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  selector: {app: web}
  ports: [{port: 80}, {name: dns, port: 53, protocol: UDP, targetPort: dns}]`,
		want: `
apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  selector: {app: web}
  type: ClusterIP
  sessionAffinity: None
  internalTrafficPolicy: Cluster
  ports: [{port: 80, protocol: TCP, targetPort: 80}, {name: dns, port: 53, protocol: UDP, targetPort: dns}]`,
	}, {
		name: "cluster IP with external IPs is externally accessible",
		in: `
apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  externalIPs: [192.0.2.1]
  ports: [{port: 80, targetPort: 0}]`,
		want: `
apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  externalIPs: [192.0.2.1]
  type: ClusterIP
  sessionAffinity: None
  externalTrafficPolicy: Cluster
  internalTrafficPolicy: Cluster
  ports: [{port: 80, protocol: TCP, targetPort: 80}]`,
	}, {
		name: "node port with client IP affinity",
		in: `
apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  type: NodePort
  sessionAffinity: ClientIP
  ports: [{port: 80, targetPort: 8080}]`,
		want: `
apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  type: NodePort
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 10800}}
  externalTrafficPolicy: Cluster
  internalTrafficPolicy: Cluster
  ports: [{port: 80, protocol: TCP, targetPort: 8080}]`,
	}, {
		name: "load balancer",
		in: `
apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  type: LoadBalancer
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 5}}
  ports: [{port: 443}]
status:
  loadBalancer: {ingress: [{ip: 203.0.113.7}, {hostname: lb.example.com}]}`,
		want: `
apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  type: LoadBalancer
  sessionAffinity: None
  externalTrafficPolicy: Cluster
  internalTrafficPolicy: Cluster
  allocateLoadBalancerNodePorts: true
  ports: [{port: 443, protocol: TCP, targetPort: 443}]
status:
  loadBalancer: {ingress: [{ip: 203.0.113.7, ipMode: VIP}, {hostname: lb.example.com}]}`,
	}, {
		name: "external name gets no traffic policies",
		in: `
apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  type: ExternalName
  externalName: db.example.com`,
		want: `
apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  type: ExternalName
  externalName: db.example.com
  sessionAffinity: None`,
	}})
}

func TestCoreDefaults(t *testing.T) {
	runDefaultCases(t, []defaultCase{{
		name: "secret",
		in:   `{apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: {a: b}}`,
		want: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: Yg==}, type: Opaque}`,
	}, {
		name: "secret stringData wins over data",
		in:   `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: eA==, c: eQ==}, stringData: {a: b}}`,
		want: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: Yg==, c: eQ==}, type: Opaque}`,
	}, {
		name: "secret keeps its type",
		in:   `{apiVersion: v1, kind: Secret, metadata: {name: s}, type: kubernetes.io/tls}`,
		want: `{apiVersion: v1, kind: Secret, metadata: {name: s}, type: kubernetes.io/tls}`,
	}, {
		name: "pvc",
		in: `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: c}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1.5Gi}}}`,
		want: `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: c}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1.5Gi}}, volumeMode: Filesystem}
status: {phase: Pending}`,
	}, {
		name: "pv",
		in: `
apiVersion: v1
kind: PersistentVolume
metadata: {name: v}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /data}`,
		want: `
apiVersion: v1
kind: PersistentVolume
metadata: {name: v}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /data, type: ""}
  persistentVolumeReclaimPolicy: Retain
  volumeMode: Filesystem
status: {phase: Pending}`,
	}, {
		name: "namespace",
		in:   `{apiVersion: v1, kind: Namespace, metadata: {name: team-a}}`,
		want: `{apiVersion: v1, kind: Namespace, metadata: {name: team-a, labels: {kubernetes.io/metadata.name: team-a}}, status: {phase: Active}}`,
	}, {
		name: "generateName namespace gets no name label",
		in:   `{apiVersion: v1, kind: Namespace, metadata: {generateName: t-}}`,
		want: `{apiVersion: v1, kind: Namespace, metadata: {generateName: t-}, status: {phase: Active}}`,
	}, {
		name: "node allocatable from capacity",
		in:   `{apiVersion: v1, kind: Node, metadata: {name: node-1}, status: {capacity: {cpu: "4", pods: "110"}}}`,
		want: `{apiVersion: v1, kind: Node, metadata: {name: node-1}, status: {capacity: {cpu: "4", pods: "110"}, allocatable: {cpu: "4", pods: "110"}}}`,
	}, {
		name: "endpoints",
		in:   `{apiVersion: v1, kind: Endpoints, metadata: {name: e}, subsets: [{addresses: [{ip: 10.0.0.1}], ports: [{port: 80}]}]}`,
		want: `{apiVersion: v1, kind: Endpoints, metadata: {name: e}, subsets: [{addresses: [{ip: 10.0.0.1}], ports: [{port: 80, protocol: TCP}]}]}`,
	}, {
		name: "configmap gets empty data",
		in:   `{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}`,
		want: `{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {}}`,
	}, {
		name: "limit range container item",
		in: `
apiVersion: v1
kind: LimitRange
metadata: {name: l}
spec:
  limits:
  - type: Container
    max: {cpu: "2", memory: 1Gi}
    min: {cpu: 100m, ephemeral-storage: 1Gi}
    default: {memory: 512Mi}
  - type: Pod
    max: {cpu: "4"}`,
		want: `
apiVersion: v1
kind: LimitRange
metadata: {name: l}
spec:
  limits:
  - type: Container
    max: {cpu: "2", memory: 1Gi}
    min: {cpu: 100m, ephemeral-storage: 1Gi}
    default: {cpu: "2", memory: 512Mi}
    defaultRequest: {cpu: "2", memory: 512Mi, ephemeral-storage: 1Gi}
  - type: Pod
    max: {cpu: "4"}`,
	}, {
		name: "resource quota rounds",
		in:   `{apiVersion: v1, kind: ResourceQuota, metadata: {name: q}, spec: {hard: {cpu: 0.0005}}}`,
		want: `{apiVersion: v1, kind: ResourceQuota, metadata: {name: q}, spec: {hard: {cpu: 1m}}}`,
	}, {
		name: "service list defaults every item",
		in:   `{apiVersion: v1, kind: ServiceList, metadata: {}, items: [{metadata: {name: a}, spec: {ports: [{port: 1}]}}]}`,
		want: `
apiVersion: v1
kind: ServiceList
metadata: {}
items:
- metadata: {name: a}
  spec: {ports: [{port: 1, protocol: TCP, targetPort: 1}], type: ClusterIP, sessionAffinity: None, internalTrafficPolicy: Cluster}`,
	}, {
		name: "service account has no defaults",
		in:   `{apiVersion: v1, kind: ServiceAccount, metadata: {name: sa}}`,
		want: `{apiVersion: v1, kind: ServiceAccount, metadata: {name: sa}}`,
	}})
}
