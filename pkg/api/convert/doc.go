// Package convert holds the conversions between served versions of one
// stored object: HorizontalPodAutoscalers at autoscaling/v1 and v2. Each
// is written here from upstream's field mapping; Register adds them to
// the scheme, so the storage codec converts on every read and write
// (api.StorageVersion), and validation and printers reuse the v2 code
// through HPAToV2.
package convert
