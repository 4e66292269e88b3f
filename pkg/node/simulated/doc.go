// Package simulated is a container runtime that runs nothing: sandboxes
// get an IP from the node's podCIDR and containers go created → running
// → (optionally, after the sim.tinykube.io/exit-after annotation's
// delay) exited. It implements node.Runtime, the CRI-shaped interface
// the node agent drives, so a thousand simulated nodes cost only memory.
//
// One Host serves every simulated node in a process: it owns the clock
// and a single heap of pending container exits, fired by one goroutine
// (Host.Run), so there is no per-node or per-container timer. Each node
// gets its own Runtime from Host.NewRuntime.
package simulated
