// Package storage defines the contract between the generic registry and
// the key-value store (interfaces.go). Implementations: storage/etcd3 talks
// to etcd directly; storage/cacher is the watch cache in front of it that
// serves lists and watches from memory. resourceversion.go holds what both
// share about resourceVersions (etcd revisions in decimal) and collection
// key prefixes.
package storage
