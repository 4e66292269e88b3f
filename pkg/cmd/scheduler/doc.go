// Package scheduler is the `tinykube scheduler` command: the scheduler
// alone, against any Kubernetes API server.
package scheduler
