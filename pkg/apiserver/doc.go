// Package apiserver is the HTTP face of tinykube: go-restful routes for
// every served resource, content negotiation (JSON, YAML, protobuf; Table
// and PartialObjectMetadata), the verb handlers (one file each), discovery
// and the filter chain. It sits between the network and pkg/registry's
// generic stores; it never touches etcd itself.
package apiserver
