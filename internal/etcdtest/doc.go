// Package etcdtest holds what tests of the store's reach need: an etcd
// that requires client certificates (StartTLS), for the external-etcd
// flags, and the TCP ports this process listens on (ListeningTCPPorts),
// to show that the embedded one opens none.
package etcdtest
