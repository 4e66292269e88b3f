// Package etcd starts and connects to the etcd that backs tinykube.
//
// StartEmbedded runs a single-member etcd inside the server process
// (go.etcd.io/etcd/server/v3/embed), listening only on loopback or a unix
// socket, tuned to start fast and stay small; NewClient connects to an
// external cluster (--etcd-servers). RunCompaction keeps the history
// window bounded the way kube-apiserver does. Everything above this
// package talks to etcd through a *clientv3.Client only: see
// pkg/storage/etcd3 for the key-value store built on it.
package etcd
