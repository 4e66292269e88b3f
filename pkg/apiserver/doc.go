// Package apiserver is the HTTP face of tinykube: go-restful routes for
// every served resource, content negotiation (JSON, YAML, protobuf; Table
// and PartialObjectMetadata), the verb handlers (one file each), discovery
// and the filter chain. It sits between the network and pkg/registry's
// generic stores; it never touches etcd itself.
//
// Custom resources go through the same endpoints: customresources.go
// routes every /apis path the built-in routes do not serve to the current
// snapshot of established CRDs (SetCustomResources, called by
// pkg/apiextensions/controller) and serves their discovery;
// customresource_codec.go is what differs for them — JSON/YAML bodies
// into unstructured objects with schema defaulting, pruning and
// fieldValidation, no protobuf, conversion None between versions, their
// own Tables and field manager.
package apiserver
