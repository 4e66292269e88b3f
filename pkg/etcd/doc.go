// Package etcd starts and connects to the etcd that backs tinykube.
//
// StartEmbedded runs a single-member etcd inside the server process
// (go.etcd.io/etcd/server/v3/embed), tuned to start fast and stay small.
// It serves clients and peers on unix sockets in its data dir, which
// PrivateDir keeps 0700 and owned by the server's user: no TCP port, so
// no other local user can read or write the store behind the API server's
// back (private.go). NewExternalClient connects to an external cluster
// (--etcd-servers), over TLS with client certificates as kube-apiserver
// does (external.go). RunCompaction keeps the history
// window bounded the way kube-apiserver does. Everything above this
// package talks to etcd through a *clientv3.Client only: see
// pkg/storage/etcd3 for the key-value store built on it.
package etcd
