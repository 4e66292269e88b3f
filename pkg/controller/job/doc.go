// Package job is the Job controller: it runs a Job's pods until enough of
// them succeed (spec.completions, at most spec.parallelism at a time, or
// an Indexed Job's spec.successPolicy) or too many fail (spec.backoffLimit,
// spec.activeDeadlineSeconds, a spec.podFailurePolicy FailJob rule, or an
// Indexed Job's failed indexes under spec.backoffLimitPerIndex).
//
// Files, in reading order: controller.go (informers, queue, workers),
// sync.go (one Job: count, decide, create/delete pods, write status),
// tracking.go (the batch.kubernetes.io/job-tracking finalizer that keeps
// a finished pod until it is counted), indexed.go (completion indexes),
// successpolicy.go (early success of Indexed Jobs), podfailurepolicy.go
// (which rule of spec.podFailurePolicy a failed pod matches),
// backoffperindex.go (spec.backoffLimitPerIndex: per-index failure
// counts on pod annotations, status.failedIndexes, per-index backoff),
// consistency.go (no sync on a Job cached older than our own write).
//
// Failure conditions, as upstream: the Job first gets FailureTarget with
// its reason (BackoffLimitExceeded, DeadlineExceeded, PodFailurePolicy,
// MaxFailedIndexesExceeded when more indexes failed than
// spec.maxFailedIndexes, FailedIndexes when every index is done and some
// failed); its running pods are deleted, and once none is left and every
// finished pod is counted, Failed with the same reason follows.
//
// Counting, as upstream: every pod is created with the tracking finalizer.
// When a pod finishes, its uid is first written to
// status.uncountedTerminatedPods, then the finalizer is removed, and only
// when the informer shows the pod without the finalizer (or gone) does
// the uid move into status.succeeded/failed. A crash at any point neither
// loses nor double-counts a pod.
package job
