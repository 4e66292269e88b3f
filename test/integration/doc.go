// Package integration holds client-go integration tests against a real
// in-process tinykube server (internal/testserver).
package integration
