// Package storagetest is the conformance suite for storage.Interface:
// the same table-driven cases run against every implementation
// (storage/etcd3 and storage/cacher), each on a real embedded etcd, in
// the spirit of etcd's mvcc kv_test.go. It is imported only by tests.
package storagetest
