// Package apiservice is the strategy of apiregistration.k8s.io/v1
// APIServices: what the generic store (registry/generic) does differently
// for them, as upstream's kube-aggregator registry.
//
// An APIService says which server answers one group version. The API
// server registers a local one (spec.service unset) for each built-in
// group version it serves (Local, at bootstrap: pkg/server), with
// upstream's group and version priorities. A local APIService is Available
// from its creation (reason Local), as upstream's strategy marks it.
//
// tinykube does not aggregate: an APIService naming a Service is stored
// and listed, but requests for its group version are not proxied and
// nothing writes its status (upstream's availability controller is not
// run), so its Available condition stays unset unless a client sets it
// through /status. Custom resource groups get no APIService either
// (upstream's crdregistration controller is not run).
package apiservice
