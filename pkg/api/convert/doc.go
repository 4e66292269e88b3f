// Package convert holds the conversions between the served forms of one
// stored object: HorizontalPodAutoscalers at autoscaling/v1 and v2, and
// Events at core/v1 and events.k8s.io/v1. Each is written here from
// upstream's field mapping; Register adds them to the scheme, so the
// storage codec converts on every read and write (api.StorageVersion),
// and validation and printers reuse one version's code through them.
package convert
