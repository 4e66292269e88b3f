// Package registry assembles the served resources: one generic.Store per
// stored row of api.Resources, at the row's etcd key root, with the
// strategy the companion table in rows.go gives its group/resource
// (generic.Default otherwise), and the server's one admission chain
// (admission.go, in upstream's plugin order). Build is the one place where
// a resource's storage, strategy and hooks meet;
// docs/adding-a-resource.md is the recipe for a new resource.
package registry
