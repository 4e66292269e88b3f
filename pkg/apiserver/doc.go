// Package apiserver is the HTTP face of tinykube: go-restful routes for
// every served resource (one per path shape and method, such as
// /namespaces/{namespace}/{resource}/{name}, dispatching to each
// resource's handler from a table: routetable.go), content negotiation
// (JSON, YAML, protobuf; Table and PartialObjectMetadata), the verb
// handlers (one file each), discovery and the filter chain. It sits between the network and pkg/registry's
// generic stores; it never touches etcd itself, and it knows no resource:
// it imports no registry package but registry/generic.
//
// What differs between resources reaches it from outside. Types
// (types.go) is how one resource version's objects are decoded,
// converted, printed, field-managed and scaled: schemeTypes (builtin.go)
// for built-in resources, pkg/apiserver/crtypes for custom resources.
// Subresources beyond status, scale and approval are registered by the
// server in Config: CreateSubresources (subresource.go: decode the body,
// check its name, call a function — pods/binding, pods/eviction,
// serviceaccounts/token) and
// UpdateSubresources (a PUT with its own strategy — namespaces/finalize);
// SpecialCreates serve the create-only resources (bindings, the reviews,
// selfsubjectreviews in whoami.go).
//
// Custom resources go through the same endpoints: customresources.go
// routes every /apis path the built-in routes do not serve to the current
// snapshot of established CRDs (SetCustomResources, called by
// pkg/apiextensions/controller with each served version's store and
// crtypes.Types) and serves their discovery.
package apiserver
