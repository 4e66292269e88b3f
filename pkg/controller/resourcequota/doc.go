// Package resourcequota is the quota controller: for every ResourceQuota
// it copies spec.hard to status.hard and counts status.used — what the
// objects of the quota's namespace, within its scopes, cost of each
// resource named in hard (measured with pkg/quota).
//
// As upstream, creates are charged by quota admission
// (pkg/registry/core/resourcequota), so the controller recounts a
// namespace's quotas only when something gives usage back or changes
// it: a delete, an update that changes an object's usage (a pod
// finishing, a pod's deletion grace period running out), a quota whose
// spec (or a status.hard someone else wrote) differs from its status,
// and a periodic full resync (ResyncPeriod) that corrects every drift.
// Recounting on creates would race admission: the informer may not yet
// hold a pod admission just charged, and the recount would give its
// unit back.
//
// Pods, services, claims, config maps and replication controllers are
// read from the shared informers; the other counted resources (secrets,
// count/<resource>.<group>) from metadata-only informers this
// controller starts the first time a quota names them (monitors.go).
package resourcequota
