// Package node is the `tinykube node` command: simulated nodes (the node
// agent of pkg/node on the simulated runtime) against any API server.
package node
