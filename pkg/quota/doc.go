// Package quota measures what objects cost against a ResourceQuota. It is
// the part shared by the quota controller (pkg/controller/resourcequota),
// which sums the usage of every object in a namespace into status.used,
// and quota admission (pkg/registry/core/resourcequota), which adds one
// new object's usage to status.used and refuses it past status.hard.
//
// An Evaluator knows one resource: which quota resource names it
// measures (pods measures "pods", "requests.cpu", "count/pods"…), which
// scopes an object falls in, and an object's usage. For returns the
// evaluator of a group/resource: pods, services and
// persistentvolumeclaims have their own, every other resource is an
// object count ("count/<resource>.<group>", plus the legacy names
// "configmaps", "secrets", "replicationcontrollers", "resourcequotas").
// resources.go is ResourceList arithmetic. The rules are upstream's
// (k8s.io/kubernetes pkg/quota/v1/evaluator/core), re-implemented.
package quota
