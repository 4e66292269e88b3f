// Package testserver starts a real tinykube server (embedded etcd in a
// temp dir, HTTPS on a free loopback port) for integration tests, and
// hands out clients for it. No fakes: tests talk to the same server
// `tinykube server` runs.
package testserver
