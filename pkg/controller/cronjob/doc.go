// Package cronjob is the CronJob controller: at each time spec.schedule
// names (in spec.timeZone) it creates a Job <cronjob>-<minutes since the
// epoch> from spec.jobTemplate, honouring concurrencyPolicy,
// startingDeadlineSeconds and suspend, and prunes finished Jobs beyond
// the history limits.
//
// The controller runs on the clock of its controller.Context, which also
// drives its queue's delays, so tests step time instead of waiting for
// minutes to pass.
//
// Files: controller.go (informers, queue, workers), sync.go (one
// CronJob: status from its Jobs, pruning, the next run).
package cronjob
