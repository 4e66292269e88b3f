// Package devicetaintrule is the strategy of resource.k8s.io/v1
// DeviceTaintRules, which taint the devices their selector matches: the
// status (written through /status by whoever evicts) is kept on the main
// endpoint, generation moves with the spec, and a change of the taint's
// effect that keeps the old timeAdded restamps it with the time of the
// change, as upstream. No controller evicts pods yet.
package devicetaintrule
