// Package ttlafterfinished is the TTL-after-finished controller: a Job
// with spec.ttlSecondsAfterFinished is deleted (background propagation:
// the garbage collector removes its pods) that many seconds after it
// finished — its Complete or Failed condition turned true.
package ttlafterfinished
