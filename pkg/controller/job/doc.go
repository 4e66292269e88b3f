// Package job is the Job controller: it runs a Job's pods until enough of
// them succeed (spec.completions, at most spec.parallelism at a time, or
// an Indexed Job's spec.successPolicy) or too many fail (spec.backoffLimit, spec.activeDeadlineSeconds).
//
// Files, in reading order: controller.go (informers, queue, workers),
// sync.go (one Job: count, decide, create/delete pods, write status),
// tracking.go (the batch.kubernetes.io/job-tracking finalizer that keeps
// a finished pod until it is counted), indexed.go (completion indexes),
// successpolicy.go (early success of Indexed Jobs).
//
// Counting, as upstream: every pod is created with the tracking finalizer.
// When a pod finishes, its uid is first written to
// status.uncountedTerminatedPods, then the finalizer is removed, and only
// when the informer shows the pod without the finalizer (or gone) does
// the uid move into status.succeeded/failed. A crash at any point neither
// loses nor double-counts a pod.
package job
