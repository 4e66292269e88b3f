package defaults_test

import "testing"

// jobTemplateIn/Want are templateIn/Want with restartPolicy Never, as jobs
// require.
const jobTemplateIn = `
        metadata:
          labels: {app: web}
        spec:
          restartPolicy: Never
          containers: [{name: c, image: "busybox:1.36"}]`

const jobTemplateWant = `
        metadata:
          labels: {app: web}
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 30
          dnsPolicy: ClusterFirst
          securityContext: {}
          schedulerName: default-scheduler
          containers:
          - name: c
            image: "busybox:1.36"
            imagePullPolicy: IfNotPresent
            terminationMessagePath: /dev/termination-log
            terminationMessagePolicy: File
            resources: {}`

func TestBatchDefaults(t *testing.T) {
	runDefaultCases(t, []defaultCase{{
		name: "minimal job",
		in: `
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  template:` + jobTemplateIn,
		want: `
apiVersion: batch/v1
kind: Job
metadata: {name: j, labels: {app: web}}
spec:
  completions: 1
  parallelism: 1
  backoffLimit: 6
  completionMode: NonIndexed
  suspend: false
  manualSelector: false
  podReplacementPolicy: TerminatingOrFailed
  template:` + jobTemplateWant,
	}, {
		name: "work queue job keeps completions unset",
		in: `
apiVersion: batch/v1
kind: Job
metadata: {name: j, labels: {own: label}}
spec:
  parallelism: 3
  template:` + jobTemplateIn,
		want: `
apiVersion: batch/v1
kind: Job
metadata: {name: j, labels: {own: label}}
spec:
  parallelism: 3
  backoffLimit: 6
  completionMode: NonIndexed
  suspend: false
  manualSelector: false
  podReplacementPolicy: TerminatingOrFailed
  template:` + jobTemplateWant,
	}, {
		name: "indexed job with per-index backoff and pod failure policy",
		in: `
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  completions: 5
  completionMode: Indexed
  backoffLimitPerIndex: 1
  podFailurePolicy:
    rules:
    - action: Ignore
      onPodConditions: [{type: DisruptionTarget}, {type: Custom, status: "False"}]
  template:` + jobTemplateIn,
		want: `
apiVersion: batch/v1
kind: Job
metadata: {name: j, labels: {app: web}}
spec:
  completions: 5
  parallelism: 1
  backoffLimit: 2147483647
  backoffLimitPerIndex: 1
  completionMode: Indexed
  suspend: false
  manualSelector: false
  podReplacementPolicy: Failed
  podFailurePolicy:
    rules:
    - action: Ignore
      onPodConditions: [{type: DisruptionTarget, status: "True"}, {type: Custom, status: "False"}]
  template:` + jobTemplateWant,
	}, {
		name: "cronjob defaults its job template's pod but not job-level fields",
		in: `
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      podFailurePolicy: {rules: [{action: FailJob, onPodConditions: [{type: DisruptionTarget}]}]}
      template:` + jobTemplateIn,
		want: `
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj}
spec:
  schedule: "*/5 * * * *"
  concurrencyPolicy: Allow
  suspend: false
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 1
  jobTemplate:
    metadata: {}
    spec:
      podFailurePolicy: {rules: [{action: FailJob, onPodConditions: [{type: DisruptionTarget, status: "True"}]}]}
      template:` + jobTemplateWant,
	}})
}
