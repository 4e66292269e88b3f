// Package job is the batch/v1 jobs resource: unless spec.manualSelector is
// set, the server generates the selector and template labels from the
// Job's uid, as upstream does.
package job
