// Package resourcequota is quota admission: the ResourceQuota plugin of
// the admission chain (pkg/registry/admission.go), which charges a new
// object to every ResourceQuota of its namespace that tracks it, and refuses it (403 Forbidden, upstream's
// messages) when that would take status.used past status.hard, or when a
// pod under a cpu/memory quota does not state those requests and limits.
// The charge is a compare-and-swap update of the quota's status, so two
// concurrent creates cannot both take the last unit. status.used is
// otherwise kept by the quota controller (pkg/controller/resourcequota),
// which recounts on deletes and on a periodic resync; both measure with
// pkg/quota.
package resourcequota
