package defaults_test

import "testing"

// templateIn and templateWant are a one-container pod template before and
// after defaulting; every workload embeds them.
const templateIn = `
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx`

const templateWant = `
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx
        imagePullPolicy: Always
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
        resources: {}
      restartPolicy: Always
      terminationGracePeriodSeconds: 30
      dnsPolicy: ClusterFirst
      securityContext: {}
      schedulerName: default-scheduler`

func TestAppsDefaults(t *testing.T) {
	runDefaultCases(t, []defaultCase{{
		name: "minimal deployment",
		in: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:` + templateIn,
		want: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 25%, maxSurge: 25%}
  revisionHistoryLimit: 10
  progressDeadlineSeconds: 600
  template:` + templateWant,
	}, {
		name: "deployment recreate keeps no rollingUpdate",
		in: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  strategy: {type: Recreate}
  revisionHistoryLimit: 2
  selector: {matchLabels: {app: web}}
  template:` + templateIn,
		want: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  strategy: {type: Recreate}
  revisionHistoryLimit: 2
  progressDeadlineSeconds: 600
  template:` + templateWant,
	}, {
		name: "deployment partial rollingUpdate",
		in: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  strategy: {rollingUpdate: {maxSurge: 2}}
  selector: {matchLabels: {app: web}}
  template:` + templateIn,
		want: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 25%, maxSurge: 2}
  revisionHistoryLimit: 10
  progressDeadlineSeconds: 600
  template:` + templateWant,
	}, {
		name: "replicaset",
		in: `
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:` + templateIn,
		want: `
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:` + templateWant,
	}, {
		name: "statefulset with claim template",
		in: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: web}}
  template:` + templateIn + `
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}`,
		want: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: web}}
  podManagementPolicy: OrderedReady
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {partition: 0, maxUnavailable: 1}
  revisionHistoryLimit: 10
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: Retain}
  template:` + templateWant + `
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
      volumeMode: Filesystem
    status: {phase: Pending}`,
	}, {
		name: "statefulset explicit RollingUpdate without parameters stays bare",
		in: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  updateStrategy: {type: RollingUpdate}
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete}
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: web}}
  template:` + templateIn,
		want: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 1
  serviceName: ""
  selector: {matchLabels: {app: web}}
  podManagementPolicy: Parallel
  updateStrategy: {type: RollingUpdate}
  revisionHistoryLimit: 10
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Retain}
  template:` + templateWant,
	}, {
		name: "daemonset",
		in: `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: web}}
  template:` + templateIn,
		want: `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: web}}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 1, maxSurge: 0}
  revisionHistoryLimit: 10
  template:` + templateWant,
	}, {
		name: "daemonset OnDelete",
		in: `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  updateStrategy: {type: OnDelete}
  selector: {matchLabels: {app: web}}
  template:` + templateIn,
		want: `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: web}}
  updateStrategy: {type: OnDelete}
  revisionHistoryLimit: 10
  template:` + templateWant,
	}, {
		name: "deployment list defaults every item",
		in: `
apiVersion: apps/v1
kind: DeploymentList
metadata: {}
items:
- metadata: {name: a}
  spec:
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec: {containers: [{name: c, image: "nginx:1.27"}]}`,
		want: `
apiVersion: apps/v1
kind: DeploymentList
metadata: {}
items:
- metadata: {name: a}
  spec:
    replicas: 1
    selector: {matchLabels: {app: web}}
    strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 25%, maxSurge: 25%}}
    revisionHistoryLimit: 10
    progressDeadlineSeconds: 600
    template:
      metadata: {labels: {app: web}}
      spec:
        containers:
        - name: c
          image: "nginx:1.27"
          imagePullPolicy: IfNotPresent
          terminationMessagePath: /dev/termination-log
          terminationMessagePolicy: File
          resources: {}
        restartPolicy: Always
        terminationGracePeriodSeconds: 30
        dnsPolicy: ClusterFirst
        securityContext: {}
        schedulerName: default-scheduler`,
	}})
}
