// Package etcd is the `tinykube bench etcd` command: the raw-etcd ceiling for
// the same pod workload as `tinykube bench api`.
package etcd
